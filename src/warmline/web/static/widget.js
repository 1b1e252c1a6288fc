// The warmline chat widget for another site's page:
//   <script src="https://chat.example.com/widget.js" data-pack="retail"
//           data-identity-token="..." defer></script>
// adds a launcher button at the bottom right; it opens the chat in an iframe from the server
// the script came from. The conversation starts by posting the pack and the identity token
// into the iframe (never in a URL). Styles are set through the DOM, not inline markup, so a
// host page's own Content-Security-Policy needs only frame-src and form-action for the server.
// Data attributes: data-pack, data-identity-token, data-label (the button's text),
// data-open="1" (open at once).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.warmlineWidget) { return; }
  var base = new URL(script.src, location.href).origin;
  var data = script.dataset;
  var name = "warmline-chat-" + Math.random().toString(36).slice(2);
  var started = false;

  function el(tag, props, style) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) { node.setAttribute(k, props[k]); });
    Object.assign(node.style, style || {});
    return node;
  }

  var launcher = el("button", {
    type: "button", id: "warmline-launcher", "aria-expanded": "false",
    "aria-controls": "warmline-panel"
  }, {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483000",
    minHeight: "48px", minWidth: "48px", padding: "0 20px", border: "0",
    borderRadius: "24px", background: "#0b6e4f", color: "#ffffff",
    font: "600 16px/1 system-ui, -apple-system, 'Segoe UI', sans-serif",
    boxShadow: "0 4px 16px rgba(0,0,0,.2)", cursor: "pointer"
  });
  launcher.textContent = data.label || "Chat with us";

  var panel = el("div", {
    id: "warmline-panel", role: "dialog", "aria-label": data.label || "Chat with us"
  }, {
    position: "fixed", right: "20px", bottom: "84px", zIndex: "2147483000",
    width: "380px", maxWidth: "calc(100vw - 40px)", height: "600px",
    maxHeight: "calc(100vh - 110px)", background: "#ffffff", borderRadius: "12px",
    boxShadow: "0 8px 32px rgba(0,0,0,.25)", overflow: "hidden", display: "none",
    flexDirection: "column"
  });
  var bar = el("div", {}, {
    display: "flex", justifyContent: "flex-end", alignItems: "center", flex: "0 0 auto",
    background: "#0b6e4f", padding: "2px 4px"
  });
  var close = el("button", { type: "button", id: "warmline-close", "aria-label": "Close the chat" }, {
    minWidth: "44px", minHeight: "44px", border: "0", borderRadius: "22px",
    background: "transparent", color: "#ffffff", font: "600 24px/1 system-ui, sans-serif",
    cursor: "pointer"
  });
  close.textContent = "×";
  var frame = el("iframe", { name: name, id: "warmline-frame", title: "Chat with us" }, {
    border: "0", width: "100%", flex: "1 1 auto", display: "block"
  });
  var title = el("span", {}, {
    flex: "1 1 auto", padding: "0 10px", color: "#ffffff",
    font: "600 15px/1.2 system-ui, -apple-system, 'Segoe UI', sans-serif"
  });
  title.textContent = data.label || "Chat with us";
  bar.appendChild(title);
  bar.appendChild(close);
  panel.appendChild(bar);
  panel.appendChild(frame);

  function phone() { return window.matchMedia("(max-width: 600px)").matches; }

  function start() {
    var form = el("form", { method: "post", action: base + "/chat", target: name }, { display: "none" });
    var fields = { pack: data.pack || "", identity_token: data.identityToken || "", embed: "1" };
    Object.keys(fields).forEach(function (k) {
      if (!fields[k]) { return; }
      form.appendChild(el("input", { type: "hidden", name: k, value: fields[k] }));
    });
    document.body.appendChild(form);
    form.submit();
    form.remove();
    started = true;
  }

  function open() {
    Object.assign(panel.style, phone()
      ? { display: "flex", right: "0", bottom: "0", width: "100vw", maxWidth: "100vw",
          height: "100vh", maxHeight: "100vh", borderRadius: "0" }
      : { display: "flex" });
    launcher.setAttribute("aria-expanded", "true");
    if (!started) { start(); }
    frame.focus();
  }

  function hide() {
    panel.style.display = "none";
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.style.display === "none") { open(); } else { hide(); }
  });
  close.addEventListener("click", hide);
  window.addEventListener("message", function (event) {  // Escape inside the chat
    if (event.origin === base && event.data === "warmline:close") { hide(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && panel.style.display !== "none") { hide(); }
  });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
    if (data.open === "1") { open(); }
  }
  window.warmlineWidget = { open: open, close: hide };
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
