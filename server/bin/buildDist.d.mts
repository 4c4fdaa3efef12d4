export declare function buildDist(options?: { force?: boolean; log?: (line: string) => void }): Promise<{ built: boolean; ms: number }>;
