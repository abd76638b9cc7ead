/**
 * The plain HTTP routes the compute agent calls (outside socket.io): enrolment with a one-time
 * join token, and image downloads with its host credential.
 */
import { z } from "zod";
import { hostnameSchema } from "./agent";
import { text } from "../validation";

/** Enrolment (HTTP POST /api/agent/enroll): a one-time join token for a host credential. */
export const enrollRequestSchema = z.object({ joinToken: text("joinToken").min(16).max(512), hostname: hostnameSchema });
export const enrollResponseSchema = z.object({ hostname: hostnameSchema, credential: z.string().min(16) });
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;
export const ENROLL_PATH = "/api/agent/enroll";

/** Where an agent downloads an image's bits (GET, with its host credential). */
export const IMAGE_DOWNLOAD_PATH = (imageId: string) => `/api/agent/images/${imageId}/file`;
