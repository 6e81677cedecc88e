/**
 * The zod every schema of this package is written with: zod 4's functional API
 * (`zod/mini`), so that a bundle keeps only the schema kinds and checks it
 * uses. The schemas are zod's own (`z.core.$ZodType`): the server validates
 * with them as they are (`schema.parse`, `z.safeParse`), and classic zod
 * composes them (`z.object({ n: ordinalSchema })`). A failure is a
 * `z.core.$ZodError`, not classic zod's `ZodError`.
 *
 * English issue messages are set here, once, for whoever loads a schema:
 * without it `zod/mini` says only "Invalid input" (classic zod sets them as
 * soon as one of its own schemas is built, so the server's messages would
 * depend on what loaded first).
 */
import { en } from 'zod/locales';
import * as z from 'zod/mini';

z.config(en());

export { z };
