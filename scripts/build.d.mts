// Types for scripts/build.mjs (used by scripts/start.mjs and the unit tests).
export declare const ROOT: string;
export declare const VITE_CONFIGS: string[];
export declare const MAIN_EXTERNALS: string[];
export declare function buildRenderer(opts?: { root?: string }): boolean;
export declare function foreignRequires(code: string): string[];
export declare function bundleElectron(opts?: { root?: string; outdir?: string }): Promise<{ main: string; preload: string }>;
