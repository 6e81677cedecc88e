export declare const SCHEMA_DIR: string;
export declare const DEFAULT_MANIFEST: string;
export declare function schemaProblems(xml: string): Promise<string[]>;
export declare function projectProblems(xml: string): string[];
export declare function validateManifest(xml: string): Promise<string[]>;
export declare function callerDir(env?: NodeJS.ProcessEnv): string;
