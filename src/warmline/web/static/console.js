// The console's conversation page: the live log (server-sent events), the composer emptied
// after each send, and the suggested replies copied into it. A file of its own, not inline:
// the Content-Security-Policy allows scripts from this origin only.
(function () {
  "use strict";
  var main = document.querySelector("[data-conversation]");
  if (!main) { return; }
  var log = document.getElementById("log");
  var id = main.dataset.conversation;
  var source = new EventSource("/api/agent/conversations/" + encodeURIComponent(id) + "/stream");
  source.addEventListener("message", function (event) {
    var data = JSON.parse(event.data);
    var div = document.createElement("div");
    div.className = "msg " + data.author;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = data.author;
    var p = document.createElement("p");
    p.textContent = data.text;
    div.appendChild(who);
    div.appendChild(p);
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  });

  var composer = document.getElementById("composer");
  if (composer) {
    composer.addEventListener("htmx:afterRequest", function () {
      composer.reset();
      composer.elements.text.focus();
    });
  }

  var suggestions = document.getElementById("suggestions");
  if (suggestions) {
    suggestions.addEventListener("click", function (event) {
      var button = event.target.closest("button.suggestion");
      var text = document.getElementById("text");
      if (!button || !text) { return; }
      text.value = button.textContent.trim();
      text.focus();
    });
  }
})();
