import { OsRefusal, principalOf, type OsCall } from "../service";

/**
 * The project in the URL must be the token's: Cinder's endpoint names the project, and a call
 * addressed to another project's endpoint is refused as Nova refuses it.
 */
export function checkUrlProject(call: OsCall): void {
  const inUrl = call.params.projectId!;
  const own = principalOf(call).projectId;
  if (inUrl !== own) {
    throw new OsRefusal(
      400,
      "BadRequest",
      `Malformed request URL: URL's project_id '${inUrl.slice(0, 64)}' doesn't match Context's project_id '${own}'.`,
    );
  }
}
