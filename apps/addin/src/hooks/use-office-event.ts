import { useEffect, useRef } from 'react';

/**
 * Calls `handler` on every Office event `subscribe` adds a handler for
 * (`onItemChanged`, `onSelectionChanged` of `lib/office`) while the component
 * is mounted, and removes it again on unmount, also when the subscription
 * answered after the unmount. A subscription Office refuses leaves the pane
 * as it is (it only stops following).
 */
export function useOfficeEvent(subscribe: (handler: () => void) => Promise<() => Promise<void>>, handler: () => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  // biome-ignore lint/correctness/useExhaustiveDependencies: one subscription per mount; the handler is read through the ref
  useEffect(() => {
    let stop: (() => Promise<void>) | undefined;
    let mounted = true;
    subscribe(() => latest.current()).then(
      (unsubscribe) => {
        if (mounted) stop = unsubscribe;
        else void unsubscribe();
      },
      () => undefined,
    );
    return () => {
      mounted = false;
      void stop?.();
    };
  }, []);
}
