export declare const DEV_ORIGIN: string;
export declare function parseTargetUrl(value: string): string;
export declare function rewriteManifest(xml: string, target: string): string;
