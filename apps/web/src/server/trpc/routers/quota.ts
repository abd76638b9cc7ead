import { quotaUsage } from "@nimbus/core/quota";
import { procedure, router } from "../init";

export const quotaRouter = router({
  usage: procedure("quota.usage").query(({ ctx }) => quotaUsage({ ctx })),
});
