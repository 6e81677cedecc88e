/**
 * The Office stand-in: the part of office.js (Mailbox requirement sets up to
 * 1.15, IdentityAPI 1.3) that the task pane uses, over a mailbox held in memory.
 * One implementation serves the unit tests (src/test/office-stub.ts), the
 * browser tests (test/e2e) and the browser preview (preview/), so the pane
 * meets the same Office wherever it runs outside Outlook. docs/taskpane.md
 * ("The Office stand-in") lists the surface and what each member does.
 *
 * Calls answer on a later task, as Office does; `script` makes a call fail,
 * hang or succeed, one entry per call.
 */

/** The calls whose outcome can be scripted and that are counted. */
export type StandInCall =
  | 'getAsFile'
  | 'loadCustomProperties'
  | 'saveCustomProperties'
  | 'addCategories'
  | 'addHandler'
  | 'removeHandler'
  | 'getAccessToken'
  | 'getSelectedItems'
  | 'loadItem'
  | 'unloadItem';

/** Office's error shape (`Office.Error`; SSO errors use the same fields). */
export interface OfficeErrorLike {
  code: number;
  name: string;
  message: string;
}

/** `ok`, `hang` (Office never calls back) or the error the call fails with. */
export type Outcome = 'ok' | 'hang' | OfficeErrorLike;

/** An attachment as `item.attachments` lists it (`Office.AttachmentDetails`). */
export interface StandInAttachment {
  id: string;
  name: string;
  contentType: string;
  /** bytes */
  size: number;
  isInline: boolean;
  attachmentType?: 'file' | 'item' | 'cloud';
}

/** A message of the mailbox, as `Office.MessageRead` shows it. */
export interface StandInMessage {
  itemId: string;
  internetMessageId?: string;
  subject?: string;
  from?: { displayName: string; emailAddress: string };
  /** Outlook's conversation id (`item.conversationId`, Mailbox 1.1): the thread the message belongs to */
  conversationId?: string;
  /** the recipients (`item.to` / `item.cc`, Mailbox 1.1) */
  to?: { displayName: string; emailAddress: string }[];
  cc?: { displayName: string; emailAddress: string }[];
  /** a Date, or an ISO 8601 string (configurations that travel as JSON) */
  dateTimeCreated?: Date | string;
  attachments?: StandInAttachment[];
  /** Outlook's message class (`IPM.Note`, `IPM.Note.SMIME.MultipartSigned` for a signed one) */
  itemClass?: string;
  /** the whole message, base64, as `getAsFileAsync` answers it; or a loader for it */
  emlBase64?: string | (() => Promise<string>);
}

export interface StandInUser {
  displayName: string;
  emailAddress: string;
}

/** What the pane stored on one message: Outlook keeps it with the message, so it outlives the pane. */
export interface MessageMarks {
  customProperties: Record<string, unknown>;
  categories: string[];
}

export interface StandInOptions {
  messages?: StandInMessage[];
  /** what the pane stored on messages before (by item id): the preview keeps it across a reload, as Outlook keeps it */
  marks?: Record<string, MessageMarks>;
  /** the selected message's itemId, or several (item multi-select, Mailbox 1.13) in the order they were selected; none selected when absent */
  selected?: string | string[];
  /** highest Mailbox requirement set the host supports; default 1.14 */
  mailboxVersion?: string;
  /** IdentityAPI version (single sign-on); default 1.3 */
  identityApiVersion?: string;
  /** Office's theme background; the pane turns dark on a dark one */
  bodyBackgroundColor?: string;
  /** what `Office.onReady` reports; `null` looks like a plain browser */
  host?: 'Outlook' | string | null;
  user?: StandInUser;
  /** what `Office.auth.getAccessToken` does: answer a token or fail; without it, error 13000 (no SSO) */
  sso?: { token: string } | { error: OfficeErrorLike };
}

const SSO_NOT_CONFIGURED: OfficeErrorLike = { code: 13000, name: 'API Not Supported', message: 'Single sign-on is not set up in the stand-in.' };

function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * The mailbox behind the stand-in: its messages, the selection, what the pane
 * stored on each message (custom properties, categories) and a record of the
 * calls. Whoever drives it (a test, the preview's message list) selects
 * messages and reads the state; `subscribe` tells of every change.
 */
export class StandInMailbox {
  readonly options: StandInOptions;
  readonly messages: StandInMessage[];
  /** the one selected message, what `item` shows; `null` when none or several are selected */
  selected: StandInMessage | null;
  /** every selected message in the order they were selected (`getSelectedItemsAsync`) */
  selection: StandInMessage[];
  /** the message `loadItemByIdAsync` loaded and no `unloadAsync` closed yet (Office loads one at a time) */
  loaded: StandInMessage | null = null;
  script: Partial<Record<StandInCall, Outcome[]>> = {};
  readonly calls: Record<StandInCall, number> = {
    getAsFile: 0,
    loadCustomProperties: 0,
    saveCustomProperties: 0,
    addCategories: 0,
    addHandler: 0,
    removeHandler: 0,
    getAccessToken: 0,
    getSelectedItems: 0,
    loadItem: 0,
    unloadItem: 0,
  };
  /** the options of every getAccessToken call */
  readonly authOptions: unknown[] = [];
  private readonly properties = new Map<string, Map<string, unknown>>();
  private readonly categories = new Map<string, string[]>();
  private readonly handlers = new Map<string, (event: { type: string }) => void>();
  private readonly listeners = new Set<() => void>();

  constructor(options: StandInOptions = {}) {
    this.options = options;
    this.messages = options.messages ?? [];
    const ids = options.selected === undefined ? [] : [options.selected].flat();
    this.selection = ids.map((id) => this.messages.find((m) => m.itemId === id)).filter((m): m is StandInMessage => m !== undefined);
    this.selected = this.selection.length === 1 ? (this.selection[0] ?? null) : null;
    for (const [itemId, marks] of Object.entries(options.marks ?? {})) {
      this.properties.set(itemId, new Map(Object.entries(marks.customProperties)));
      this.categories.set(itemId, [...marks.categories]);
    }
  }

  /** A mailbox of one message, selected (or of none): what a test drives the pane with. */
  static ofOne(message: StandInMessage | null | undefined, options: Omit<StandInOptions, 'messages' | 'selected'> = {}): StandInMailbox {
    return new StandInMailbox({ ...options, messages: message ? [message] : [], ...(message ? { selected: message.itemId } : {}) });
  }

  /** Selects a message (or none) and fires ItemChanged, as a pinned pane sees it. */
  select(message: StandInMessage | null): void {
    this.selectMany(message ? [message] : []);
  }

  /**
   * Selects several messages (item multi-select), in this order: `item` is the
   * message when there is exactly one, else `null`; ItemChanged and
   * SelectedItemsChanged fire for the handlers the pane added.
   */
  selectMany(messages: StandInMessage[]): void {
    this.selection = [...messages];
    this.selected = messages.length === 1 ? (messages[0] ?? null) : null;
    this.handlers.get(ITEM_CHANGED)?.({ type: ITEM_CHANGED });
    this.handlers.get(SELECTED_ITEMS_CHANGED)?.({ type: SELECTED_ITEMS_CHANGED });
    this.changed();
  }

  messageById(itemId: string): StandInMessage | undefined {
    return this.messages.find((m) => m.itemId === itemId);
  }

  customPropertiesOf(itemId: string): Map<string, unknown> {
    return this.properties.get(itemId) ?? new Map();
  }

  categoriesOf(itemId: string): string[] {
    return this.categories.get(itemId) ?? [];
  }

  /** What the pane stored on the message `itemId` (nothing for an unknown one). */
  marksOf(itemId: string): MessageMarks {
    return { customProperties: Object.fromEntries(this.customPropertiesOf(itemId)), categories: this.categoriesOf(itemId) };
  }

  hasItemChangedHandler(): boolean {
    return this.handlers.has(ITEM_CHANGED);
  }

  hasHandler(eventType: string): boolean {
    return this.handlers.has(eventType);
  }

  /** Calls `listener` after every change of the selection, properties or categories; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal the stand-in's own writes */
  saveProperties(itemId: string, values: Map<string, unknown>): void {
    this.properties.set(itemId, new Map(values));
    this.changed();
  }

  /** @internal */
  addCategories(itemId: string, names: string[]): void {
    const current = this.categoriesOf(itemId);
    this.categories.set(itemId, [...current, ...names.filter((n) => !current.includes(n))]);
    this.changed();
  }

  /** @internal one handler per event type, as Office keeps it */
  setHandler(eventType: string, handler: ((event: { type: string }) => void) | undefined): void {
    if (handler) this.handlers.set(eventType, handler);
    else this.handlers.delete(eventType);
  }

  /** @internal the outcome of the next call of a kind, counting it */
  nextOutcome(call: StandInCall): Outcome {
    this.calls[call]++;
    return this.script[call]?.shift() ?? 'ok';
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

const ITEM_CHANGED = 'olkItemSelectedChanged';
const SELECTED_ITEMS_CHANGED = 'olkSelectedItemsChanged';

/** What Office answers a second `loadItemByIdAsync` before the first item was unloaded (the docs require `unloadAsync` first). */
const ANOTHER_ITEM_LOADED: OfficeErrorLike = {
  code: 9041,
  name: 'InvalidOperation',
  message: 'Another item is loaded. Call unloadAsync on it before loading the next one.',
};
const NO_SUCH_ITEM: OfficeErrorLike = { code: 9030, name: 'ItemNotFound', message: 'The item does not exist in this mailbox.' };
const NOT_LOADED: OfficeErrorLike = { code: 9041, name: 'InvalidOperation', message: 'The item is no longer loaded.' };

type Callback<T> = (result: { status: 'succeeded' | 'failed'; value: T; error?: OfficeErrorLike }) => void;

/** Office passes the callback last; the options argument before it is optional. */
function callbackOf<T>(args: unknown[]): Callback<T> | undefined {
  const last = args.findLast((arg) => typeof arg === 'function');
  return last as Callback<T> | undefined;
}

function utf8ToBase64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Base64 of a text message, for `emlBase64`. */
export function emlToBase64(eml: string): string {
  return utf8ToBase64(eml);
}

/**
 * The `Office` global over `mailbox`. Install it as `globalThis.Office` before
 * the pane's code runs (the browser bundle does, in place of office.js).
 */
export function createOffice(mailbox: StandInMailbox) {
  const options = mailbox.options;

  /**
   * Answers `callback` the way the mailbox's script says, on a later task; a
   * `refusal` (checked when the call is made) is the error Office answers a
   * call it does not allow now.
   */
  function answer<T>(
    call: StandInCall,
    callback: Callback<T> | undefined,
    value: () => T | Promise<T>,
    onSuccess?: () => void,
    refusal?: () => OfficeErrorLike | undefined,
  ): void {
    const scripted = mailbox.nextOutcome(call);
    const outcome = scripted === 'ok' ? (refusal?.() ?? 'ok') : scripted;
    if (outcome === 'hang') return;
    setTimeout(() => {
      if (outcome !== 'ok') {
        callback?.({ status: 'failed', value: undefined as T, error: outcome });
        return;
      }
      Promise.resolve(value()).then(
        (result) => {
          onSuccess?.();
          callback?.({ status: 'succeeded', value: result });
        },
        // a message whose bytes could not be fetched (the preview reads them on demand), as Office reports a server error
        (error: unknown) => callback?.({ status: 'failed', value: undefined as T, error: { code: 9002, name: 'InternalServerError', message: String(error) } }),
      );
    }, 0);
  }

  /** What `item` and a loaded item share: the message's properties and `getAsFileAsync` (Mailbox 1.14). */
  function readView(current: StandInMessage, usable: () => OfficeErrorLike | undefined = () => undefined) {
    const created = current.dateTimeCreated;
    return {
      itemType: 'message',
      itemClass: current.itemClass ?? 'IPM.Note',
      itemId: current.itemId,
      internetMessageId: current.internetMessageId,
      subject: current.subject,
      from: current.from,
      conversationId: current.conversationId,
      to: current.to ?? [],
      cc: current.cc ?? [],
      dateTimeCreated: typeof created === 'string' ? new Date(created) : created,
      attachments: current.attachments ?? [],
      getAsFileAsync: (...args: unknown[]) =>
        answer(
          'getAsFile',
          callbackOf<string>(args),
          () => {
            const eml = current.emlBase64;
            return typeof eml === 'function' ? eml() : (eml ?? '');
          },
          undefined,
          usable,
        ),
      categories: {
        addAsync: (names: string[], ...args: unknown[]) =>
          answer(
            'addCategories',
            callbackOf<void>(args),
            () => undefined,
            () => mailbox.addCategories(current.itemId, names),
            usable,
          ),
      },
    };
  }

  function makeItem(current: StandInMessage) {
    return {
      ...readView(current),
      loadCustomPropertiesAsync: (...args: unknown[]) =>
        answer('loadCustomProperties', callbackOf(args), () => {
          const pending = new Map(mailbox.customPropertiesOf(current.itemId));
          return {
            get: (name: string) => pending.get(name),
            set: (name: string, value: unknown) => {
              pending.set(name, value);
            },
            remove: (name: string) => {
              pending.delete(name);
            },
            getAll: () => Object.fromEntries(pending),
            saveAsync: (...saveArgs: unknown[]) =>
              answer(
                'saveCustomProperties',
                callbackOf<void>(saveArgs),
                () => undefined,
                () => mailbox.saveProperties(current.itemId, pending),
              ),
          };
        }),
    };
  }

  /**
   * A message loaded by `loadItemByIdAsync` (`LoadedMessageRead`, Mailbox
   * 1.15): its properties, `getAsFileAsync` and categories; custom properties
   * can be read only (`get`, `getAll`), as the Office docs say. Every call
   * fails once `unloadAsync` closed it.
   */
  function makeLoadedItem(current: StandInMessage) {
    const usable = () => (mailbox.loaded === current ? undefined : NOT_LOADED);
    return {
      ...readView(current, usable),
      loadCustomPropertiesAsync: (...args: unknown[]) =>
        answer(
          'loadCustomProperties',
          callbackOf(args),
          () => {
            const stored = new Map(mailbox.customPropertiesOf(current.itemId));
            return { get: (name: string) => stored.get(name), getAll: () => Object.fromEntries(stored) };
          },
          undefined,
          usable,
        ),
      unloadAsync: (...args: unknown[]) =>
        answer(
          'unloadItem',
          callbackOf<void>(args),
          () => undefined,
          () => {
            if (mailbox.loaded === current) mailbox.loaded = null;
          },
          usable,
        ),
    };
  }

  return {
    HostType: { Outlook: 'Outlook' },
    AsyncResultStatus: { Succeeded: 'succeeded', Failed: 'failed' },
    EventType: { ItemChanged: ITEM_CHANGED, SelectedItemsChanged: SELECTED_ITEMS_CHANGED },
    CoercionType: { Text: 'text', Html: 'html' },
    MailboxEnums: {
      ItemType: { Message: 'message', Appointment: 'appointment' },
      AttachmentType: { File: 'file', Item: 'item', Cloud: 'cloud' },
    },
    onReady(callback?: (info: { host: string | null; platform: string }) => void) {
      const info = { host: options.host === undefined ? 'Outlook' : options.host, platform: 'OfficeOnline' };
      if (callback) setTimeout(() => callback(info), 0);
      return Promise.resolve(info);
    },
    auth: {
      /** Promise form (IdentityAPI 1.3). */
      getAccessToken(authOptions?: unknown): Promise<string> {
        mailbox.authOptions.push(authOptions ?? {});
        const outcome = mailbox.nextOutcome('getAccessToken');
        return new Promise((resolve, reject) => {
          if (outcome === 'hang') return;
          setTimeout(() => {
            const sso = options.sso;
            if (outcome !== 'ok') reject(outcome);
            else if (sso && 'token' in sso) resolve(sso.token);
            else reject(sso?.error ?? SSO_NOT_CONFIGURED);
          }, 0);
        });
      },
    },
    context: {
      officeTheme: { bodyBackgroundColor: options.bodyBackgroundColor ?? '#ffffff' },
      requirements: {
        isSetSupported(name: string, version = '1.1') {
          if (name === 'Mailbox') return compareVersions(options.mailboxVersion ?? '1.14', version) >= 0;
          if (name === 'IdentityAPI') return compareVersions(options.identityApiVersion ?? '1.3', version) >= 0;
          return false;
        },
      },
      mailbox: {
        get item() {
          return mailbox.selected ? makeItem(mailbox.selected) : null;
        },
        userProfile: options.user ?? { displayName: 'Dev User', emailAddress: 'dev@acme.example' },
        addHandlerAsync: (type: string, handler: (event: { type: string }) => void, ...args: unknown[]) =>
          answer(
            'addHandler',
            callbackOf<void>(args),
            () => undefined,
            () => mailbox.setHandler(type, handler),
          ),
        removeHandlerAsync: (type: string, ...args: unknown[]) => {
          mailbox.setHandler(type, undefined);
          answer('removeHandler', callbackOf<void>(args), () => undefined);
        },
        /** The selected messages (`SelectedItemDetails[]`, Mailbox 1.13; ids, conversation and attachment flag 1.14), in the order they were selected. */
        getSelectedItemsAsync: (...args: unknown[]) =>
          answer('getSelectedItems', callbackOf(args), () =>
            mailbox.selection.map((m) => ({
              itemId: m.itemId,
              itemMode: 'Read',
              itemType: 'Message',
              subject: m.subject ?? '',
              internetMessageId: m.internetMessageId ?? '',
              conversationId: m.conversationId ?? '',
              hasAttachment: (m.attachments ?? []).some((a) => !a.isInline),
            })),
          ),
        /** Loads one message of the mailbox by its item id (Mailbox 1.15); refused while another is loaded. */
        loadItemByIdAsync: (itemId: string, ...args: unknown[]) => {
          const target = mailbox.messageById(itemId);
          answer(
            'loadItem',
            callbackOf(args),
            () => makeLoadedItem(target as StandInMessage),
            undefined,
            () => {
              if (mailbox.loaded) return ANOTHER_ITEM_LOADED;
              if (!target) return NO_SUCH_ITEM;
              // loaded from the call on: a second load before this one answered is refused too
              mailbox.loaded = target;
              return undefined;
            },
          );
        },
      },
    },
  };
}

export type OfficeStandIn = ReturnType<typeof createOffice>;
