/** libvirt's own command-line client, for what the Node bindings lack (networks, nwfilters). */
import { runTool, withPrivateFile } from "./tool";

/** A virsh call that failed; `stderr` holds libvirt's own words. */
export class VirshError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(
      `virsh ${args.join(" ")} failed: ${
        stderr
          .replace(/^error:\s*/gm, "")
          .replace(/\s+/g, " ")
          .trim() || "no message"
      }`,
      options,
    );
    this.name = "VirshError";
  }
}

export type Virsh = (...args: string[]) => Promise<string>;

/** Runs `virsh -c <uri> <args…>` and resolves with its standard output (a call may take up to `timeoutMs`). */
export function virshFor(uri: string, options: { timeoutMs?: number } = {}): Virsh {
  // The tools' environment has LC_ALL=C: libvirt's messages in English, which is what callers match "not found" in.
  return (...args) => runTool("virsh", ["-c", uri, ...args], (stderr, cause) => new VirshError(args, stderr, { cause }), options);
}

/** Runs `action` with the path of a private temporary file holding `content` (virsh *-define read files). */
export function withXmlFile<T>(content: string, action: (file: string) => Promise<T>): Promise<T> {
  return withPrivateFile("definition.xml", content, action);
}
