/** A sentence for people from whatever was thrown (ApiError and NetworkError already carry one). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
