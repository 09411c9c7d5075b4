// The typed messages between the extension and its webviews, imported by both sides.

/** Webview → extension. */
export type FromWebview = { type: 'ready' };

/** Extension → webview. */
export type ToHealthWebview = { type: 'show'; title: string; text: string };
