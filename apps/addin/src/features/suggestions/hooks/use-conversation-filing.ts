import { useCallback, useState } from 'react';

const KEY = 'toa.conversationFiling';

function load(): boolean {
  try {
    return localStorage.getItem(KEY) === 'on';
  } catch {
    return false;
  }
}

/** The user's "conversation filing" setting, kept in this pane's localStorage like the last domain; off until switched on. */
export function useConversationFiling(): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(load);
  const change = useCallback((next: boolean) => {
    setOn(next);
    try {
      localStorage.setItem(KEY, next ? 'on' : 'off');
    } catch {
      // kept for this pane only
    }
  }, []);
  return [on, change];
}
