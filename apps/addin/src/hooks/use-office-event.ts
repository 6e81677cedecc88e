import { useEffect, useRef } from 'react';

/**
 * Calls `handler` on every Office event `subscribe` adds a handler for
 * (`onItemChanged`, `onSelectionChanged` of `lib/office`) while the component
 * is mounted, and removes it again on unmount, also when the subscription
 * answered after the unmount. A subscription Office refuses leaves the pane
 * as it is (it only stops following).
 *
 * Office adds the handler when `addHandlerAsync` answers, so an event of the
 * time in between (the user moving to another message while the pane loads)
 * reaches no handler: once subscribed, `catchUp` (by default `handler`) runs
 * once to read what the event would have told.
 */
export function useOfficeEvent(subscribe: (handler: () => void) => Promise<() => Promise<void>>, handler: () => void, catchUp: () => void = handler): void {
  const latest = useRef({ handler, catchUp });
  latest.current = { handler, catchUp };
  // biome-ignore lint/correctness/useExhaustiveDependencies: one subscription per mount; the handlers are read through the ref
  useEffect(() => {
    let stop: (() => Promise<void>) | undefined;
    let mounted = true;
    subscribe(() => latest.current.handler()).then(
      (unsubscribe) => {
        if (!mounted) {
          void unsubscribe();
          return;
        }
        stop = unsubscribe;
        latest.current.catchUp();
      },
      () => undefined,
    );
    return () => {
      mounted = false;
      void stop?.();
    };
  }, []);
}
