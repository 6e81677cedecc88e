import { TimeoutError, withTimeout } from '../retry';

/** Office SSO (`Office.auth.getAccessToken`, promise form) needs IdentityAPI 1.3. */
const IDENTITY_REQUIREMENT = { set: 'IdentityAPI', version: '1.3' } as const;

/** Outlook's own sign-in and consent prompts may be on screen for a while. */
const DEFAULT_TIMEOUT_MS = 120_000;

/** Whether this Outlook can hand the pane an access token (Office single sign-on). */
export function isSsoSupported(): boolean {
  try {
    return (
      typeof Office.auth?.getAccessToken === 'function' && Office.context.requirements.isSetSupported(IDENTITY_REQUIREMENT.set, IDENTITY_REQUIREMENT.version)
    );
  } catch {
    return false;
  }
}

/** Signing in through Office failed; the message is meant for the user, `code` is Office's SSO error code. */
export class SignInError extends Error {
  readonly code: number | undefined;
  constructor(message: string, code?: number, options?: { cause?: unknown }) {
    super(code === undefined ? message : `${message} (Office error ${code})`, options);
    this.name = 'SignInError';
    this.code = code;
  }
}

const ASK_ADMIN = 'Ask your TOA administrator to check its registration in Microsoft Entra ID.';

/**
 * What Office's SSO error codes mean for the user
 * (learn.microsoft.com/office/dev/add-ins/develop/troubleshoot-sso-in-office-add-ins).
 */
const MESSAGES: Record<number, string> = {
  13000:
    'This version of Outlook cannot sign you in to TOA (single sign-on is not available). Use new Outlook, Outlook on the web or an updated Microsoft 365 Outlook.',
  13001: 'You are not signed in to Office. Sign in to Outlook with your work or school account, then try again.',
  13002: 'Signing in to TOA was cancelled. Try again and complete the sign-in or consent prompt.',
  13003: 'TOA needs a Microsoft 365 work or school account; the account Outlook is signed in with cannot be used.',
  13004: `The TOA add-in is not set up for sign-in (its manifest names a resource that does not match). ${ASK_ADMIN}`,
  13005: `TOA has not been given consent to sign you in. ${ASK_ADMIN}`,
  13006: 'Outlook could not sign you in to TOA. Sign out of Office and in again (or restart Outlook), then try again.',
  13007: `Outlook could not get a sign-in token for TOA: the app is not registered or has no consent. ${ASK_ADMIN}`,
  13008: 'A sign-in to TOA is already in progress. Finish it, then try again.',
  13010: 'Outlook on the web cannot sign you in from this browser configuration. Use another browser or add the Office sites to the same security zone.',
  13012: 'This Outlook does not support signing in to add-ins. Use new Outlook, Outlook on the web or Microsoft 365 Outlook on Windows or Mac.',
  13013: 'Outlook was asked to sign you in too often. Wait a minute, then try again.',
  50001: 'Outlook could not load its sign-in service. Reload the add-in (or restart Outlook) and try again.',
};

/** A sentence for the user for one of Office's SSO error codes (or an unknown failure). */
export function signInMessage(code: number | undefined, officeMessage?: string): string {
  const known = code === undefined ? undefined : MESSAGES[code];
  if (known) return known;
  return `Signing in to TOA through Outlook failed${officeMessage ? `: ${officeMessage}` : '.'} Try again, or ask your TOA administrator.`;
}

function codeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  return undefined;
}

/**
 * An access token for the TOA API from Office single sign-on: Outlook signs
 * the user in (or asks for consent) when it must. The token's audience is the
 * application named in the manifest's `WebApplicationInfo`. Every failure is a
 * `SignInError` with a message for the user.
 */
export async function getAccessToken(options: { timeoutMs?: number } = {}): Promise<string> {
  if (!isSsoSupported()) throw new SignInError(MESSAGES[13000] as string);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let token: unknown;
  try {
    token = await withTimeout(
      Office.auth.getAccessToken({ allowSignInPrompt: true, allowConsentPrompt: true, forMSGraphAccess: false }),
      timeoutMs,
      'Signing in',
    );
  } catch (error) {
    if (error instanceof TimeoutError) {
      throw new SignInError(`Outlook did not finish signing you in to TOA within ${Math.round(timeoutMs / 1000)} s. Try again.`, undefined, { cause: error });
    }
    const code = codeOf(error);
    const officeMessage = (error as { message?: unknown } | null)?.message;
    throw new SignInError(signInMessage(code, typeof officeMessage === 'string' ? officeMessage : undefined), code, { cause: error });
  }
  if (typeof token !== 'string' || token === '') throw new SignInError('Outlook answered the sign-in without a token. Try again.');
  return token;
}
