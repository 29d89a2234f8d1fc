// Types for the pure parts of scripts/start.mjs (used by test/unit/electron-start.test.ts).
export declare const ROOT: string;
export declare function electronBinaryPath(root?: string): string | null;
export declare function electronBinaryAvailable(root?: string): boolean;
export declare function decideShell(opts: { argv?: string[]; electronAvailable: boolean; platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv }): { shell: 'electron' | 'web'; reason: string | null };
export declare function newestMtime(paths: string[]): number;
export declare function rendererNeedsBuild(root?: string): boolean;
export declare function electronNeedsBuild(root?: string): boolean;
export declare function fallBackToWeb(end: { code: number | null; signal: NodeJS.Signals | null; forwarded: NodeJS.Signals | null; elapsedMs: number }): boolean;
export declare function lastErrorLine(text: string): string | null;
export declare function shellEnded(end: { name: string; code: number | null; signal: string | null; forwarded: string | null; lastError: string | null }): { message: string | null; exitCode: number };
