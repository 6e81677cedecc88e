/*
 * Stand-in for https://appsforoffice.microsoft.com/lib/1/hosted/office.js in
 * browser tests. Serve it with Playwright:
 *
 *   await page.addInitScript((config) => { window.__TOA_OFFICE_CONFIG__ = config; }, config);
 *   await page.route('https://appsforoffice.microsoft.com/**', (route) =>
 *     route.fulfill({ contentType: 'text/javascript', body: readFileSync(stubPath, 'utf8') }));
 *
 * config (every key optional):
 *   host                 'Outlook' (default) or null to look like a plain browser
 *   mailboxVersion       highest supported Mailbox set, default '1.14'
 *   bodyBackgroundColor  Office theme background, default '#ffffff'
 *   user                 { displayName, emailAddress }
 *   message              { itemId, internetMessageId, subject, from: { displayName, emailAddress },
 *                          dateTimeCreated (ISO string), attachments: [{ id, name, contentType, size,
 *                          isInline, attachmentType }], emlBase64 } or null for no selection
 *   failures             { getAsFile: n, loadCustomProperties: n, saveCustomProperties: n, addCategories: n }
 *                        makes the first n calls of each fail, as Office sometimes does
 *   denyCategories       true: categories.addAsync fails with a permission error
 *   sso                  Office.auth.getAccessToken: { token } answers that token, { error: { code, name, message } }
 *                        rejects like Office; { identityApi } overrides the IdentityAPI version (default '1.3');
 *                        without sso, getAccessToken rejects with 13000 (no SSO configured)
 *
 * What the pane did is kept in window.__TOA_OFFICE_STATE__ ({ customProperties, categories, calls,
 * authOptions: the options of every getAccessToken call });
 * window.__TOA_SELECT_MESSAGE__(message) selects another message and fires ItemChanged.
 */
(() => {
  const config = window.__TOA_OFFICE_CONFIG__ || {};
  const state = { customProperties: {}, categories: [], calls: {}, authOptions: [] };
  const sso = config.sso;
  window.__TOA_OFFICE_STATE__ = state;
  let message = config.message === undefined ? null : config.message;
  let itemChanged;
  const failures = { ...(config.failures || {}) };

  const compare = (a, b) => {
    const pa = String(a).split('.').map(Number);
    const pb = String(b).split('.').map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const diff = (pa[i] || 0) - (pb[i] || 0);
      if (diff !== 0) return diff;
    }
    return 0;
  };

  /** Answers like Office: asynchronously, with an AsyncResult. */
  function answer(method, callback, value, onSuccess) {
    state.calls[method] = (state.calls[method] || 0) + 1;
    let error;
    if (failures[method] > 0) {
      failures[method]--;
      error = { code: 9002, name: 'InternalServerError', message: `Stubbed ${method} failure` };
    } else if (method === 'addCategories' && config.denyCategories) {
      error = { code: 9017, name: 'PermissionDenied', message: 'Access is denied' };
    }
    setTimeout(() => {
      if (error) {
        if (callback) callback({ status: 'failed', error });
        return;
      }
      if (onSuccess) onSuccess();
      if (callback) callback({ status: 'succeeded', value: value ? value() : undefined });
    }, 0);
  }

  function makeItem(current) {
    return {
      itemType: 'message',
      itemId: current.itemId,
      internetMessageId: current.internetMessageId,
      subject: current.subject,
      from: current.from,
      dateTimeCreated: current.dateTimeCreated ? new Date(current.dateTimeCreated) : undefined,
      attachments: current.attachments || [],
      getAsFileAsync(options, callback) {
        answer('getAsFile', typeof options === 'function' ? options : callback, () => current.emlBase64 || '');
      },
      loadCustomPropertiesAsync(callback) {
        answer('loadCustomProperties', callback, () => {
          const pending = { ...state.customProperties };
          return {
            get: (name) => pending[name],
            set: (name, value) => {
              pending[name] = value;
            },
            remove: (name) => {
              delete pending[name];
            },
            getAll: () => ({ ...pending }),
            saveAsync: (saved) =>
              answer('saveCustomProperties', saved, undefined, () => {
                state.customProperties = pending;
              }),
          };
        });
      },
      categories: {
        addAsync(names, options, callback) {
          answer('addCategories', typeof options === 'function' ? options : callback, undefined, () => {
            state.categories.push(...names);
          });
        },
      },
    };
  }

  window.__TOA_SELECT_MESSAGE__ = (next) => {
    message = next;
    if (itemChanged) itemChanged({ type: 'olkItemSelectedChanged' });
  };

  window.Office = {
    HostType: { Outlook: 'Outlook' },
    AsyncResultStatus: { Succeeded: 'succeeded', Failed: 'failed' },
    EventType: { ItemChanged: 'olkItemSelectedChanged' },
    CoercionType: { Text: 'text', Html: 'html' },
    MailboxEnums: {
      ItemType: { Message: 'message', Appointment: 'appointment' },
      AttachmentType: { File: 'file', Item: 'item', Cloud: 'cloud' },
    },
    auth: {
      /** Promise form (IdentityAPI 1.3), answered asynchronously like Office. */
      getAccessToken(options) {
        state.calls.getAccessToken = (state.calls.getAccessToken || 0) + 1;
        state.authOptions.push(options || {});
        return new Promise((resolve, reject) => {
          setTimeout(() => {
            if (sso?.token) resolve(sso.token);
            else reject(sso?.error || { code: 13000, name: 'API Not Supported', message: 'SSO is not configured in this stub.' });
          }, 0);
        });
      },
    },
    onReady(callback) {
      const info = { host: config.host === undefined ? 'Outlook' : config.host, platform: 'OfficeOnline' };
      if (callback) setTimeout(() => callback(info), 0);
      return Promise.resolve(info);
    },
    context: {
      officeTheme: { bodyBackgroundColor: config.bodyBackgroundColor || '#ffffff' },
      requirements: {
        isSetSupported: (name, version) => {
          if (name === 'Mailbox') return compare(config.mailboxVersion || '1.14', version || '1.1') >= 0;
          if (name === 'IdentityAPI') return compare(sso?.identityApi || '1.3', version || '1.1') >= 0;
          return false;
        },
      },
      mailbox: {
        get item() {
          return message ? makeItem(message) : null;
        },
        userProfile: config.user || { displayName: 'Dev User', emailAddress: 'dev@acme.example' },
        addHandlerAsync(_type, handler, options, callback) {
          answer('addHandler', typeof options === 'function' ? options : callback, undefined, () => {
            itemChanged = handler;
          });
        },
        removeHandlerAsync(_type, options, callback) {
          itemChanged = undefined;
          answer('removeHandler', typeof options === 'function' ? options : callback);
        },
      },
    },
  };
})();
