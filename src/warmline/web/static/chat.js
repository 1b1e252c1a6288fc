// The chat page: a person's messages arrive by server-sent events (the bot's come back with each
// post); the composer is cleared after each post; the newest message stays in view and only the
// latest question's choices are offered. A file of its own: the pages allow no inline script.
(function () {
  var main = document.querySelector("[data-conversation]");
  if (!main) { return; }
  var id = main.dataset.conversation;
  var source = new EventSource("/api/conversations/" + id + "/stream");
  source.addEventListener("message", function (event) {
    var data = JSON.parse(event.data);
    if (data.author !== "agent") { return; }
    var log = document.getElementById("log");
    var div = document.createElement("div");
    div.className = "msg agent"; div.dataset.author = "agent";
    var who = document.createElement("span"); who.className = "who"; who.textContent = "Agent";
    var p = document.createElement("p"); p.textContent = data.text;
    div.appendChild(who); div.appendChild(p); log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  });
  var composer = document.getElementById("composer");
  composer.addEventListener("htmx:afterRequest", function () {
    composer.reset();
    composer.querySelector("[name=text]").focus();
  });
  document.addEventListener("htmx:afterSwap", function () {
    var log = document.getElementById("log");
    var bots = log.querySelectorAll(".msg.bot");
    var last = bots[bots.length - 1];
    log.querySelectorAll(".choices").forEach(function (group) {
      if (!last || !last.contains(group)) { group.remove(); }
    });
    log.scrollTop = log.scrollHeight;
  });
})();
