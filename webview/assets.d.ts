// Stylesheets imported by webview scripts are bundled by esbuild into a .css beside the script.
declare module '*.css';
