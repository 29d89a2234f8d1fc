/** A small hand-drawn icon set (24×24 strokes), so no icon font or package is needed. */
const PATHS = {
  today: 'M3 5h18v16H3zM3 10h18M8 3v4M16 3v4',
  env: 'M12 3l9 5-9 5-9-5 9-5zM3 13l9 5 9-5',
  server: 'M4 4h16v6H4zM4 14h16v6H4zM8 7h.01M8 17h.01',
  app: 'M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z',
  placement: 'M5 12h14M12 5l7 7-7 7',
  customer: 'M3 21V7l9-4 9 4v14M9 21v-6h6v6',
  contact: 'M12 12a4 4 0 100-8 4 4 0 000 8zM4 21c0-4 4-6 8-6s8 2 8 6',
  contract: 'M6 3h9l4 4v14H6zM14 3v5h5M9 13h7M9 17h7',
  transfer: 'M7 7h13M16 3l4 4-4 4M17 17H4M8 13l-4 4 4 4',
  settings: 'M12 15a3 3 0 100-6 3 3 0 000 6zM19 12l2-1-1-3-2 .5-1.5-1.5.5-2-3-1-1 2h-2l-1-2-3 1 .5 2L6 7.5 4 7 3 10l2 1v2l-2 1 1 3 2-.5 1.5 1.5-.5 2 3 1 1-2h2l1 2 3-1-.5-2 1.5-1.5 2 .5 1-3-2-1z',
  search: 'M11 18a7 7 0 100-14 7 7 0 000 14zM21 21l-5-5',
  plus: 'M12 5v14M5 12h14',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 14h10l1-14',
  close: 'M6 6l12 12M18 6L6 18',
  back: 'M15 6l-6 6 6 6',
  up: 'M6 15l6-6 6 6',
  down: 'M6 9l6 6 6-6',
  check: 'M5 12l5 5 9-10',
  warn: 'M12 3l10 18H2L12 3zM12 10v5M12 18h.01',
  download: 'M12 4v12M6 10l6 6 6-6M4 20h16',
  upload: 'M12 20V8M6 14l6-6 6 6M4 4h16',
  runs: 'M6 4l14 8-14 8z',
  terminal: 'M3 5h18v14H3zM7 9l3 3-3 3M12 15h5',
  windows: 'M3 5h18v16H3zM3 10h18M8 14h3v3H8z',
  notices: 'M4 6h16v12H4zM4 6l8 7 8-7',
  edit: 'M4 20h4L19 9l-4-4L4 16v4z',
  dot: 'M12 12h.01',
  audit: 'M4 5h10M4 10h10M4 15h6M17 13a4 4 0 100 8 4 4 0 000-8zM17 15v2l1 1',
  chart: 'M4 20V4M4 20h16M8 16v-5M12 16V8M16 16v-3M20 16V6',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 16, className }: { name: IconName; size?: number; className?: string }) {
  return (
    <svg
      className={'icon' + (className ? ' ' + className : '')}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
