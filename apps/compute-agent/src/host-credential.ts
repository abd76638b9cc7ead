import { constants } from "node:fs";
import { access, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { agentHandshakeSchema } from "@nimbus/core/protocol/agent";
import { writeFileDurably } from "./durable-file";
import { isMissingFile, messageOf } from "./error-message";

/** The handshake's `credential` field, which is optional there because the shared secret may replace it. */
const credentialSchema = agentHandshakeSchema.shape.credential.unwrap();

/**
 * The host credential stored in `file`, or null when there is no such file. A file that holds
 * no valid credential is a configuration error: waiting would not fix it.
 */
export async function readCredentialFile(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (isMissingFile(error)) return null;
    throw new Error(`Cannot read the host credential file ${file}: ${messageOf(error)}`, { cause: error });
  }
  const parsed = credentialSchema.safeParse(text.trim());
  if (!parsed.success) {
    throw new Error(
      `The host credential file ${file} does not hold a valid credential: remove it and enrol the host again with a new NIMBUS_JOIN_TOKEN.`,
    );
  }
  return parsed.data;
}

/**
 * Fails unless the credential file's directory exists (it is created, private to the agent's
 * user) and is writable: checked before enrolling, so a one-time join token is not spent on a
 * credential that could not be kept.
 */
export async function prepareCredentialDir(file: string): Promise<void> {
  const dir = path.dirname(file);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK);
  } catch (error) {
    throw new Error(`Cannot write the host credential file in ${dir}: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * Stores the credential so that no reader ever sees a partial file or one others may read: a
 * temporary file with mode 0600 in the same directory, synced, then renamed over `file`.
 */
export async function writeCredentialFile(file: string, credential: string): Promise<void> {
  await writeFileDurably(file, `${credential}\n`, 0o600);
}
