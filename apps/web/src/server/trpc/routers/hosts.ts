import { listHosts } from "@nimbus/core/hosts";
import { procedure, router } from "../init";

export const hostsRouter = router({
  list: procedure("hosts.list").query(({ ctx }) => listHosts({ ctx })),
});
