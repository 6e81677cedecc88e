import { afterEach, describe, expect, it, vi } from 'vitest';
import { getAccessToken, isSsoSupported, SignInError, signInMessage } from './auth';

interface SsoStub {
  /** what getAccessToken does: answer a token, reject with an Office error, or never answer */
  outcome: { token: string } | { error: unknown } | 'hang';
  identityApi: string | undefined;
  options: Office.AuthOptions[];
}

function installSso(stub: Partial<SsoStub> = {}): SsoStub {
  const state: SsoStub = { outcome: { token: 'eyJ.token.sig' }, identityApi: '1.3', options: [], ...stub };
  (globalThis as { Office?: unknown }).Office = {
    context: {
      requirements: {
        isSetSupported: (name: string, version: string) =>
          name === 'IdentityAPI' && state.identityApi !== undefined && Number(state.identityApi) >= Number(version),
      },
    },
    auth: {
      getAccessToken(options: Office.AuthOptions) {
        state.options.push(options);
        const outcome = state.outcome;
        if (outcome === 'hang') return new Promise(() => {});
        return 'token' in outcome ? Promise.resolve(outcome.token) : Promise.reject(outcome.error);
      },
    },
  };
  return state;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('isSsoSupported', () => {
  it('needs IdentityAPI 1.3 and Office.auth', () => {
    installSso();
    expect(isSsoSupported()).toBe(true);
    installSso({ identityApi: '1.2' });
    expect(isSsoSupported()).toBe(false);
    installSso({ identityApi: undefined });
    expect(isSsoSupported()).toBe(false);
  });

  it('is false when office.js is not there', () => {
    delete (globalThis as { Office?: unknown }).Office;
    expect(isSsoSupported()).toBe(false);
  });
});

describe('getAccessToken', () => {
  it('asks Office for a token for the add-in itself, with sign-in and consent prompts allowed', async () => {
    const sso = installSso();
    await expect(getAccessToken()).resolves.toBe('eyJ.token.sig');
    expect(sso.options).toEqual([{ allowSignInPrompt: true, allowConsentPrompt: true, forMSGraphAccess: false }]);
  });

  it.each([
    [13001, /not signed in to Office/],
    [13002, /cancelled/],
    [13003, /work or school account/],
    [13005, /no consent|not been given consent/],
    [13006, /Sign out of Office and in again/],
    [13007, /not registered or has no consent/],
    [13012, /does not support signing in to add-ins/],
  ])('turns Office error %i into a sentence for the user', async (code, message) => {
    installSso({ outcome: { error: { code, name: 'Error', message: `Office says ${code}` } } });
    const error = await getAccessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignInError);
    expect((error as SignInError).code).toBe(code);
    expect((error as SignInError).message).toMatch(message);
    expect((error as SignInError).message).toContain(`(Office error ${code})`);
  });

  it("keeps Office's own text for a code it does not know", async () => {
    installSso({ outcome: { error: { code: 13999, name: 'Error', message: 'Something new' } } });
    await expect(getAccessToken()).rejects.toMatchObject({ code: 13999, message: expect.stringMatching(/failed: Something new/) });
  });

  it('says so when this Outlook has no single sign-on, without calling Office', async () => {
    const sso = installSso({ identityApi: '1.1' });
    await expect(getAccessToken()).rejects.toMatchObject({ name: 'SignInError', message: expect.stringMatching(/cannot sign you in/) });
    expect(sso.options).toEqual([]);
  });

  it('gives up when Office never answers', async () => {
    vi.useFakeTimers();
    installSso({ outcome: 'hang' });
    const pending = getAccessToken({ timeoutMs: 5_000 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5_000);
    const error = await pending;
    expect(error).toBeInstanceOf(SignInError);
    expect((error as SignInError).message).toMatch(/within 5 s/);
  });

  it('refuses an empty token', async () => {
    installSso({ outcome: { token: '' } });
    await expect(getAccessToken()).rejects.toBeInstanceOf(SignInError);
  });
});

describe('signInMessage', () => {
  it('has a fallback for an unknown failure', () => {
    expect(signInMessage(undefined)).toMatch(/^Signing in to TOA through Outlook failed\./);
  });
});
