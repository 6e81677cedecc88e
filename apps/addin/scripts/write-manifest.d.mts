export declare const DEV_ORIGIN: string;
export declare function parseTargetUrl(value: string): string;
export declare function rewriteManifest(xml: string, target: string): string;
export interface SsoOptions {
  appId: string;
  resource: string;
}
export declare function parseSsoOptions(appId: string | undefined, resource: string | undefined, target: string): SsoOptions | undefined;
export declare function addWebApplicationInfo(xml: string, sso: SsoOptions): string;
export declare const DEFAULT_OUT: string;
export declare function setVersion(xml: string, version: string): string;
export declare function outputPath(out: string, options: { cwd: string; input: string }): string;
