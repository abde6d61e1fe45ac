// The one entry the bundler turns into vendor/jssip.js: JsSIP's npm package ships CommonJS
// only (no browser file since 3.11), so scripts/setup-desk.sh bundles it into an ES module.
export { default } from "jssip";
