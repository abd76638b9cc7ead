/** Key pair input schemas, shared by the API and the console's forms (pure: safe in the browser). */
import { z } from "zod";
import { text } from "../validation";

/** Nova's key pair names: letters, digits, spaces and `_ - . @`, at most 255 characters. */
export const keyPairNameSchema = text("Key pair name")
  .trim()
  .min(1, "Enter a key pair name.")
  .max(255, "Use at most 255 characters.")
  .regex(/^[A-Za-z0-9 _.@-]+$/, "Use only letters, digits, spaces and _ - . @");

export const createKeyPairInput = z.object({ name: keyPairNameSchema });
export const importKeyPairInput = z.object({
  name: keyPairNameSchema,
  /** One OpenSSH public key line, as in a .pub file. */
  publicKey: text("The public key").max(16_384, "A public key line is at most 16 KiB."),
});
export const keyPairNameInput = z.object({ name: text("Key pair name").min(1, "Name a key pair.").max(255) });
