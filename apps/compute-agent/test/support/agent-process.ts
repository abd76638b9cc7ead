/** Runs the real entry point, `node --import tsx src/main.ts`, as a child process. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const agentDir = fileURLToPath(new URL("../..", import.meta.url));
const running = new Set<ChildProcess>();

export interface AgentProcess {
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the agent with only `variables` (and PATH) in its environment. */
export function startAgentProcess(variables: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: agentDir,
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "debug", ...variables },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return {
    exited,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Kills the agents a failed test left running. */
export function killAgentProcesses(): void {
  for (const child of running) child.kill("SIGKILL");
}
