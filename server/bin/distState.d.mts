export declare const SERVER_DIR: string;
export declare const SRC_DIR: string;
export declare const DIST_DIR: string;
export declare const STAMP_FILE: string;
export declare function sourceFingerprint(srcDir?: string, inputs?: string[]): string;
export declare function builtFingerprint(dir?: string): string | undefined;
export declare function distIsCurrent(distDir?: string, srcDir?: string, inputs?: string[]): boolean;
