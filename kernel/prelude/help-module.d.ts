/** The prelude's help data, generated while the kernel bundle is built (help-plugin.ts). */
declare module 'trailbook:prelude-help' {
  const help: import('./help-data.ts').PreludeHelp;
  export default help;
}
