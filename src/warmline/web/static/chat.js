// The chat page. What arrives live comes by server-sent events: a person's messages, the bot's
// words after a hand-back, and who is answering (a person joined, left, handed back, closed).
// A message shows at once while the bot works (with a typing line, and after 2 s a word that
// it is still checking), Send waits for the reply, and a post whose answer is lost is sent
// again with the same idempotency key, so the server records it once. Times are the server's,
// shown in the reader's own clock. A file of its own: the pages allow no inline script.
// Without this script the forms still post and the page is shown again.
(function () {
  "use strict";
  var main = document.querySelector("[data-conversation]");
  if (!main) { return; }
  var id = main.dataset.conversation;
  var log = document.getElementById("log");
  var composer = document.getElementById("composer");
  var input = document.getElementById("text");
  var keyField = document.getElementById("idempotency-key");
  var send = document.getElementById("send");
  var typing = document.getElementById("typing");
  var typingText = document.getElementById("typing-text");
  var still = document.getElementById("still-checking");
  var badge = document.getElementById("ai-badge");
  var status = document.getElementById("status");
  var ended = document.getElementById("ended");
  var handoff = document.getElementById("handoff");
  var disclosure = document.getElementById("disclosure");
  var RETRY_MS = [500, 1000, 2000, 4000, 8000];
  var pending = null;   // the post under way: {form, tries, timer}
  var held = [];        // live messages that came while a post was under way

  function newKey() {
    if (window.crypto && crypto.randomUUID) {
      try { return crypto.randomUUID(); } catch (e) { /* not a secure context */ }
    }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      if (t.dataset.local) { return; }
      var when = new Date(t.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      t.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
      t.title = when.toLocaleString();
      t.dataset.local = "1";
    });
  }

  function timeElement(iso) {
    var t = document.createElement("time");
    t.setAttribute("datetime", iso);
    return t;
  }

  function keyOf(node) {
    var t = node.querySelector("time");
    var p = node.querySelector("p");
    return node.dataset.author + "|" + (t ? t.getAttribute("datetime") : "") + "|" +
      (p ? p.textContent : "");
  }

  function dedupe() {
    var seen = {};
    log.querySelectorAll(".msg:not(.pending), .sys").forEach(function (node) {
      var key = keyOf(node);
      if (seen[key]) { node.remove(); } else { seen[key] = true; }
    });
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function addMessage(data) {
    var div = document.createElement("div");
    div.className = "msg " + data.author;
    div.dataset.author = data.author;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = data.author === "agent" ? (data.agent || "Team") + " (team)"
      : data.author === "bot" ? "AI assistant" : "You";
    var p = document.createElement("p");
    p.textContent = data.text;
    div.appendChild(who);
    div.appendChild(document.createTextNode(" "));
    div.appendChild(timeElement(data.at || new Date().toISOString()));
    div.appendChild(p);
    if (data.citations && data.citations.length) { div.appendChild(citationList(data.citations)); }
    if (data.choices && data.choices.length) { div.appendChild(choicesGroup(data.choices)); }
    log.appendChild(div);
    if (div.lastChild.className === "choices" && window.htmx) { htmx.process(div.lastChild); }
    return div;
  }

  // The help pages an answer from the documents comes from, drawn as _citations.html draws
  // them: a link each (to this site or an http(s) page only), its words as text.
  function citationList(citations) {
    var list = document.createElement("ul");
    list.className = "citations";
    list.setAttribute("aria-label", "Sources");
    citations.forEach(function (c) {
      var url = String(c.url || "");
      if (!/^(\/(?![\/\\])|https?:\/\/)/.test(url)) { return; }
      var link = document.createElement("a");
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = c.title + (c.section ? ": " + c.section : "");
      var item = document.createElement("li");
      item.appendChild(link);
      list.appendChild(item);
    });
    return list;
  }

  // The suggested answers under a message that came live, drawn as _messages.html draws them:
  // one form per choice, posted like the composer (htmx, else a plain post), each with a key
  // of its own. settle() keeps them on the last bot message only, as the page does.
  function choicesGroup(choices) {
    var group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested answers");
    var url = "/chat/" + encodeURIComponent(id) + "/messages";
    var key = newKey();
    choices.forEach(function (choice, index) {
      var form = document.createElement("form");
      form.method = "post";
      form.action = url;
      form.className = "choice-form";
      form.setAttribute("hx-post", url);
      form.setAttribute("hx-target", "#log");
      form.setAttribute("hx-swap", "beforeend");
      form.appendChild(hidden("text", choice));
      form.appendChild(hidden("idempotency_key", key + "-" + (index + 1)));
      var button = document.createElement("button");
      button.type = "submit";
      button.className = "choice";
      button.textContent = choice;
      form.appendChild(button);
      group.appendChild(form);
    });
    return group;
  }

  function hidden(name, value) {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = name;
    field.value = value;
    return field;
  }

  function addSystem(text, at) {
    var div = document.createElement("div");
    div.className = "sys";
    div.dataset.author = "system";
    var p = document.createElement("p");
    p.textContent = text;
    div.appendChild(p);
    div.appendChild(timeElement(at || new Date().toISOString()));
    log.appendChild(div);
  }

  function settle() {
    dedupe();
    localTimes(log);
    var bots = log.querySelectorAll(".msg.bot");
    var last = bots[bots.length - 1];
    log.querySelectorAll(".choices").forEach(function (group) {
      if (pending && group.contains(pending.form)) { return; }  // gone once its answer is in
      if (!last || !last.contains(group) || main.dataset.ended === "1") { group.remove(); }
    });
    scrollDown();
  }

  function showOwner(name) {
    main.dataset.owner = name || "";
    badge.textContent = name ? name + " (team)" : "AI assistant";
    badge.classList.toggle("person", Boolean(name));
    typingText.textContent = (name ? name + " is" : "The AI assistant is") + " writing…";
    disclosure.textContent = name ? "You're chatting with " + name + " from our team."
      : "You're chatting with an AI assistant. A person is always one click away.";
    if (handoff) { handoff.hidden = Boolean(name) || main.dataset.ended === "1"; }
  }

  function showWaiting(waiting) { status.hidden = !waiting; }

  function showEnded() {
    main.dataset.ended = "1";
    ended.hidden = false;
    composer.hidden = true;
    if (handoff) { handoff.hidden = true; }
    showWaiting(false);
    stopTyping();
    settle();
  }

  function startTyping() {
    if (main.dataset.owner) { return; }  // a person answers in their own time
    typing.hidden = false;
    still.hidden = true;
    typing.timer = setTimeout(function () { still.hidden = false; }, 2000);
  }

  function stopTyping() {
    clearTimeout(typing.timer);
    typing.hidden = true;
    still.hidden = true;
  }

  // --- live events ---------------------------------------------------------------------
  var readyCount = 0;
  var handlers = {};
  function on(kind, handle) { handlers[kind] = handle; }
  function dispatch(kind, text) {
    if (!handlers[kind]) { return; }
    handlers[kind](JSON.parse(text || "{}"));
    settle();
  }
  on("ready", function () {
    readyCount += 1;
    if (readyCount > 1 && !pending && window.htmx) {  // back after a break: read what was said
      htmx.ajax("GET", "/chat/" + id + "/log", { target: "#log", swap: "innerHTML" });
    }
  });
  on("message", function (data) {
    if (data.author === "customer") { return; }  // the page shows its own messages
    if (pending && data.author === "bot") { held.push(data); return; }
    addMessage(data);
  });
  on("agent_joined", function (d) {
    showOwner(d.agent);
    showWaiting(false);
    addSystem(d.agent + " from the team has joined", d.at);
  });
  on("agent_left", function (d) {
    showOwner("");
    showWaiting(true);
    addSystem(d.agent + " has left; the next person from the team will pick up where they " +
      "left off", d.at);
  });
  on("handed_back", function (d) {
    showOwner("");
    showWaiting(false);
    addSystem("You're back with the AI assistant", d.at);
  });
  on("wrapped_up", function (d) {
    showOwner("");
    addSystem(d.agent + " has closed the conversation", d.at);
    showEnded();
  });
  on("escalated", function () { if (!main.dataset.owner) { showWaiting(true); } });
  on("status", function (d) { if (d.status === "resolved") { showEnded(); } });

  var streamUrl = "/api/conversations/" + encodeURIComponent(id) + "/stream";
  var token = main.dataset.token || "";

  // In another site's iframe the browser sends no SameSite cookie: the page holds the
  // conversation's token and sends it as a header, on every htmx request and on the stream
  // (read with fetch, since EventSource sends no header).
  function streamWithToken() {
    var backoff = 1000;
    function handleBlock(block) {
      var kind = "message";
      var data = [];
      block.split(/\r?\n/).forEach(function (line) {
        if (line.indexOf("event:") === 0) { kind = line.slice(6).trim(); }
        if (line.indexOf("data:") === 0) { data.push(line.slice(5).replace(/^ /, "")); }
      });
      if (data.length) { dispatch(kind, data.join("\n")); }
    }
    function connect() {
      fetch(streamUrl, {
        headers: { Authorization: "Bearer " + token, Accept: "text/event-stream" },
        cache: "no-store"
      }).then(function (response) {
        if (!response.ok || !response.body) { throw new Error("stream " + response.status); }
        backoff = 1000;
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { throw new Error("the stream ended"); }
            buffer += decoder.decode(chunk.value, { stream: true });
            var blocks = buffer.split(/\r?\n\r?\n/);
            buffer = blocks.pop();
            blocks.forEach(handleBlock);
            return pump();
          });
        }
        return pump();
      }).catch(function () {
        setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, 30000);
      });
    }
    connect();
  }

  if (token) {
    document.body.addEventListener("htmx:configRequest", function (event) {
      event.detail.headers.Authorization = "Bearer " + token;
    });
    streamWithToken();
  } else {
    var source = new EventSource(streamUrl);
    Object.keys(handlers).forEach(function (kind) {
      source.addEventListener(kind, function (event) { dispatch(kind, event.data); });
    });
  }

  // --- posting -------------------------------------------------------------------------
  function isMessageForm(form) {
    return form && (form === composer || form.classList.contains("choice-form"));
  }

  function finish() {
    if (!pending) { return; }
    clearTimeout(pending.timer);
    log.querySelectorAll(".msg.pending").forEach(function (n) { n.remove(); });
    pending = null;
    stopTyping();
    held.forEach(addMessage);
    held = [];
    input.readOnly = false;
    send.disabled = false;
    settle();
  }

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!isMessageForm(form)) { return; }
    if (pending && pending.form !== form) { event.preventDefault(); return; }  // one at a time
    if (pending) { return; }  // a retry of the same post
    var text = form.elements.text.value.trim();
    if (!text) { return; }
    pending = { form: form, tries: 0, timer: null };
    var bubble = addMessage({ author: "customer", text: text });
    bubble.classList.add("pending");
    localTimes(bubble);
    input.readOnly = true;
    send.disabled = true;
    startTyping();
    scrollDown();
  });

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (pending && event.detail.elt === pending.form &&
        event.detail.xhr.status < 300) {
      log.querySelectorAll(".msg.pending").forEach(function (n) { n.remove(); });
    }
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!pending || form !== pending.form) { return; }
    var xhr = event.detail.xhr;
    if (event.detail.successful) {
      finish();
      composer.reset();
      keyField.value = newKey();
      if (!composer.hidden) { input.focus(); }
      return;
    }
    var transient = !xhr || xhr.status === 0 || xhr.status === 429 || xhr.status >= 500;
    if (transient && pending.tries < RETRY_MS.length) {  // the same post, the same key
      var wait = RETRY_MS[pending.tries];
      pending.tries += 1;
      pending.timer = setTimeout(function () { htmx.trigger(form, "submit"); }, wait);
      return;
    }
    finish();
    addSystem("Your message could not be sent. Please try again.");
    settle();
  });

  document.body.addEventListener("htmx:afterSwap", function () {
    var marks = log.querySelectorAll(".turn-state");
    var mark = marks[marks.length - 1];
    if (mark) {
      showOwner(mark.dataset.owner);
      showWaiting(mark.dataset.waiting === "1");
      if (mark.dataset.ended === "1") { showEnded(); }
    }
    marks.forEach(function (m) { m.remove(); });
    settle();
  });

  // in the widget's iframe, Escape closes the panel around it (widget.js listens)
  if (main.classList.contains("embedded") && window.parent !== window) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { window.parent.postMessage("warmline:close", "*"); }
    });
  }

  settle();
  if (main.dataset.ended === "1") { showEnded(); }
})();
