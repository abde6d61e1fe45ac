// The page's views, one at a time: the live board (the default), the reports, the
// staffing and the campaigns. Each has an address (#board, #reports, #staffing,
// #campaigns) so it can be linked, and the browser's Back returns to the view before; the
// links in the top bar switch between them. On a switch the keyboard moves to the new
// view's heading.
import { h } from "/desk/js/dom.js";

export const VIEWS = [["board", "Board"], ["reports", "Reports"], ["staffing", "Staffing"],
  ["campaigns", "Campaigns"]];
const TITLE = "ccengine wallboard";

/** The view an address names (anything else: the board). */
export function viewOf(hash) {
  const name = String(hash || "").replace(/^#/, "");
  return VIEWS.some(([view]) => view === name) ? name : "board";
}

/** The links between the views, for the top bar. */
export function makeNav() {
  return h("nav", { class: "views", "aria-label": "Views" },
    h("ul", {}, ...VIEWS.map(([view, label]) => h("li", {},
      h("a", { href: `#${view}`, id: `nav-${view}`, dataset: { view } }, label)))));
}

/**
 * Show the view the address names. `views`: name -> {el, heading, onShow, onHide};
 * `onShow` runs each time that view is shown (a view that reads the API reads it then),
 * `onHide` when another is shown instead (a view that reads the API again and again stops).
 */
export function mountViews(nav, views) {
  let current = null;
  function show(moveFocus) {
    const next = viewOf(location.hash);
    for (const [name, view] of Object.entries(views)) view.el.hidden = name !== next;
    for (const link of nav.querySelectorAll("a")) {
      if (link.dataset.view === next) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    const label = VIEWS.find(([view]) => view === next)[1];
    document.title = next === "board" ? TITLE : `${label} · ${TITLE}`;
    const changed = next !== current;
    const previous = current;
    current = next;
    if (changed && previous && views[previous].onHide) views[previous].onHide();
    if (changed && views[next].onShow) views[next].onShow();
    if (moveFocus && views[next].heading) views[next].heading.focus();
  }
  const onHash = () => show(true);
  window.addEventListener("hashchange", onHash);
  show(false);
  return () => window.removeEventListener("hashchange", onHash);
}
