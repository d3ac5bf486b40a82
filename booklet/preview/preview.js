// The live preview: draw the state, then redraw it on every `build` event (no reload).
"use strict";
(function () {
  const main = document.getElementById("main");
  const banner = document.getElementById("banner");
  const status = document.getElementById("status");
  let state = JSON.parse(document.getElementById("state").textContent);
  let chosen = null; // the label of the edition shown; the first output when null
  const view = new URLSearchParams({ handout: state.kind === "handout" && state.index ? state.name : "" });

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "onclick") node.addEventListener("click", value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function image(page, alt, scale) {
    return el("img", {
      src: "/page/" + page.key + ".png", alt: alt,
      width: Math.round(page.width * scale), height: Math.round(page.height * scale),
    });
  }

  // A booklet opens as spreads: the cover alone, then 2|3, 4|5 …, the back cover alone.
  function spreads(count) {
    const groups = [[0]];
    for (let i = 1; i < count; i += 2) {
      if (i === count - 1) groups.push([i]);
      else groups.push([i, i + 1]);
    }
    return count ? groups : [];
  }

  function pagesOf(output, direction) {
    const desk = el("section", { class: "desk", "aria-label": output.label });
    if (output.sheets) {
      output.pages.forEach((page, i) => {
        const side = i % 2 === 0 ? "front" : "back";
        desk.append(el("div", { class: "spread sheet" },
          image(page, "Sheet " + (Math.floor(i / 2) + 1) + " " + side, 0.75)));
      });
      return desk;
    }
    const count = output.pages.length;
    for (const group of spreads(count)) {
      const spread = el("div", { class: "spread" + (direction === "rtl" ? " rtl" : "") });
      // The cover lies on the right of the opened booklet, the back cover on the left
      // (mirrored right to left): an empty half keeps each where it falls.
      const blank = () => {
        const half = el("div", { class: "blank" });
        half.style.width = Math.round(output.pages[group[0]].width * 0.8) + "px"; // CSSOM: CSP allows it
        return half;
      };
      if (group.length === 1 && group[0] === 0 && count > 1) spread.append(blank());
      for (const i of group) spread.append(image(output.pages[i], "Page " + (i + 1), 0.8));
      if (group.length === 1 && group[0] > 0) spread.append(blank());
      desk.append(spread);
    }
    return desk;
  }

  function list(items, draw) {
    const ul = el("ul");
    for (const item of items) ul.append(draw(item));
    return ul;
  }

  function report(s) {
    const box = el("aside", { class: "report" });
    if (s.index) box.append(el("p", {}, el("a", { href: s.index, text: "← All handouts" })));
    box.append(el("h1", { text: s.title || "Booklet" }));
    if (s.outputs.length > 1) {
      const group = el("div", { class: "editions", role: "group", "aria-label": "Edition" });
      for (const output of s.outputs) {
        group.append(el("button", {
          type: "button", text: output.label, "aria-pressed": String(output.label === current(s).label),
          onclick: () => { chosen = output.label; draw(state); },
        }));
      }
      box.append(el("h2", { text: "Edition" }), group);
    }
    if (s.wrote.length) {
      box.append(el("h2", { text: "Written" }), list(s.wrote, (w) =>
        el("li", {}, el("a", { href: w.href, download: true, text: w.line }))));
    }
    if (s.toPrint) box.append(el("p", { text: s.toPrint }));
    if (s.warnings.length) {
      box.append(el("h2", { text: "Warnings" }), list(s.warnings, (w) =>
        el("li", { class: "warning", text: "Warning: " + w })));
    }
    if (s.reading) box.append(el("h2", { text: "Reading level" }), el("p", { class: "reading", text: s.reading }));
    if (s.problems.length) {
      box.append(el("h2", { text: "Fix first" }), list(s.problems, (p) =>
        el("li", { class: "problem" }, el("span", { class: "line", text: "line " + p.line + ": " }), p.message)));
    }
    return box;
  }

  function current(s) {
    return s.outputs.find((o) => o.label === chosen) || s.outputs[0];
  }

  function drawIndex(s) {
    document.title = "Handouts — booklet preview";
    const items = el("ul", { class: "index" });
    for (const h of s.handouts) {
      const link = el("a", { href: h.href });
      if (h.first) link.append(image(h.first, "First page of " + h.title, 0.5));
      link.append(el("p", {}, el("strong", { text: h.title }), el("br"), el("span", { text: h.name })));
      if (h.error) link.append(el("p", { class: "failed", text: "Error: " + h.error }));
      items.append(el("li", {}, link));
    }
    main.replaceChildren(el("section", { class: "desk" }, el("h1", { text: "Handouts" }), items));
  }

  function draw(s) {
    banner.textContent = s.error ? "Error: " + s.error : "";
    status.textContent = s.building ? "Building…" : "";
    if (s.kind === "index") return drawIndex(s);
    document.title = (s.title || "Booklet") + " — preview";
    const output = current(s);
    main.replaceChildren(output ? pagesOf(output, s.direction) : el("p", { text: s.building ? "" : "Nothing built yet." }), report(s));
  }

  async function refresh() {
    const response = await fetch("/state.json?" + view, { cache: "no-store" });
    if (!response.ok) return;
    const next = await response.json();
    if (next.epoch < state.epoch) return; // an answer overtaken by a later one
    state = next;
    draw(state);
  }

  draw(state);
  const events = new EventSource("/events");
  events.addEventListener("build", (event) => {
    if (Number(event.data) !== state.epoch) refresh();
  });
  events.onerror = () => { status.textContent = "Preview stopped (reconnecting…)"; };
  events.onopen = () => { if (status.textContent.startsWith("Preview stopped")) status.textContent = ""; };
})();
