export type ThemeName = 'light' | 'dark';

/** Dark when Office paints the pane on a dark background (Office has no "is dark" flag in Mailbox). */
export function officeThemeName(): ThemeName {
  const background = Office.context?.officeTheme?.bodyBackgroundColor;
  return background && isDarkColor(background) ? 'dark' : 'light';
}

/** `#rrggbb` or `#rgb`; relative luminance below the mid-point counts as dark. */
export function isDarkColor(color: string): boolean {
  const hex = color.trim().replace(/^#/, '');
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
  if (!/^[0-9a-f]{6}$/i.test(full)) return false;
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(full.slice(i, i + 2), 16) / 255) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5;
}
