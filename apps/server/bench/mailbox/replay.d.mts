import type { Mailbox } from './generate.mjs';

export type Category = 'conversation' | 'knownSender' | 'knownOrganisation' | 'unknown';
export interface CategoryTally {
  messages: number;
  top1: number;
  top3: number;
  wrong: number;
  none: number;
}
export const CATEGORIES: Record<Category, string>;
export function replaySuggestions(options: {
  request: (pathname: string, init?: RequestInit) => Promise<Response>;
  domain: string;
  mailbox: Mailbox;
  today: string;
}): Promise<{ tally: Record<Category, CategoryTally>; latencies: number[] }>;
export function percent(part: number, whole: number): number | undefined;
export function accuracyRows(tally: Record<Category, CategoryTally>): Array<[string, number, ...Array<number | undefined>]>;
