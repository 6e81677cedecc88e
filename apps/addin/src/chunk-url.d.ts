/** `./module?chunk-url`: the URL of the chunk `import('./module')` loads (vite.config.ts, `chunkUrls`). */
declare module '*?chunk-url' {
  const url: string;
  export default url;
}
