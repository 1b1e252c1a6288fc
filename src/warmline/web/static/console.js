// The agent console's pages: the queue (unread badges, the count in the page title, an
// optional sound), the conversation (its live log kept at the latest message, times, the
// packet re-rendered as the chat goes on, saved replies, what was read) and search. A file of
// its own, not inline: the Content-Security-Policy allows scripts from this origin only.
(function () {
  "use strict";
  var SOUND_KEY = "warmline.console.sound";
  var pageTitle = (document.querySelector("[data-title]") || {}).dataset;
  var baseTitle = pageTitle ? pageTitle.title : document.title;

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]; }
    catch (e) { return ""; }
  }

  function showCount(count) {
    document.title = count > 0 ? "(" + count + ") " + baseTitle : baseTitle;
  }

  // --- sound: off unless the agent turns it on; a short tone made with WebAudio ----------
  var audio = null;
  function soundOn() { return window.localStorage.getItem(SOUND_KEY) === "on"; }
  function beep() {
    if (!soundOn()) { return; }
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    audio = audio || new Context();
    var now = audio.currentTime, tone = audio.createOscillator(), gain = audio.createGain();
    tone.type = "sine";
    tone.frequency.setValueAtTime(660, now);
    tone.frequency.setValueAtTime(880, now + 0.09);
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.15, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.22);
    tone.connect(gain);
    gain.connect(audio.destination);
    tone.start(now);
    tone.stop(now + 0.25);
  }
  var toggle = document.getElementById("sound-toggle");
  function showSound() {
    if (!toggle) { return; }
    toggle.setAttribute("aria-pressed", soundOn() ? "true" : "false");
    toggle.textContent = soundOn() ? "Sound on" : "Sound off";
  }
  if (toggle) {
    showSound();
    toggle.addEventListener("click", function () {
      window.localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
      showSound();
      beep();
    });
  }

  // --- times: the server writes UTC; show the agent's local time ------------------------
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function localTime(el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    if (el.closest(".msg")) { el.textContent = two(when.getHours()) + ":" + two(when.getMinutes()); }
    el.title = when.toLocaleString(undefined, { dateStyle: "full", timeStyle: "medium" });
  }
  Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), localTime);

  // --- the queue page -----------------------------------------------------------------
  var queue = document.getElementById("queue");
  if (queue) {
    var known = null, unreadBefore = 0;
    queue.addEventListener("htmx:afterSwap", function () {
      var state = document.getElementById("queue-state");
      if (!state) { return; }
      var unread = parseInt(state.dataset.unread || "0", 10);
      var waiting = (state.dataset.waiting || "").split(" ").filter(Boolean);
      var fresh = known !== null && waiting.some(function (id) { return known.indexOf(id) < 0; });
      if (fresh || (known !== null && unread > unreadBefore)) { beep(); }
      known = waiting;
      unreadBefore = unread;
      showCount(unread);
    });
  }

  // --- the conversation page ----------------------------------------------------------
  var main = document.querySelector("main[data-conversation]");
  if (!main) { return; }
  var log = document.getElementById("log");
  var jump = document.getElementById("jump-latest");
  var id = main.dataset.conversation;
  var base = "/console/c/" + encodeURIComponent(id);
  var atBottom = true, unseen = 0;

  function toBottom() {
    log.scrollTop = log.scrollHeight;
    atBottom = true;
    if (jump) { jump.hidden = true; }
  }
  toBottom();
  window.addEventListener("load", toBottom);
  log.addEventListener("scroll", function () {
    atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 40;
    if (atBottom && jump) { jump.hidden = true; }
  });
  if (jump) { jump.addEventListener("click", toBottom); }

  function markSeen() {
    unseen = 0;
    showCount(0);
    fetch(base + "/seen", { method: "POST", headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && unseen > 0) { markSeen(); }
  });

  function append(data) {
    var div = document.createElement("div");
    div.className = "msg " + data.author;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = data.author;
    var time = document.createElement("time");
    time.setAttribute("datetime", new Date().toISOString());
    var p = document.createElement("p");
    p.textContent = data.text;
    div.appendChild(who);
    div.appendChild(document.createTextNode(" "));
    div.appendChild(time);
    div.appendChild(p);
    localTime(time);
    var stick = atBottom;
    log.appendChild(div);
    if (stick) { toBottom(); } else if (jump) { jump.hidden = false; }
  }

  var source = new EventSource("/api/agent/conversations/" + encodeURIComponent(id) + "/stream");
  // Back after a break in the live feed (a network drop, a broker outage): what was said in
  // between is in the database, so the page is read again, unless a reply is being written.
  var readyCount = 0;
  source.addEventListener("ready", function () {
    readyCount += 1;
    if (readyCount < 2) { return; }
    var draft = document.getElementById("text");
    if (!draft || !draft.value.trim()) { window.location.reload(); return; }
    if (document.getElementById("reconnected")) { return; }
    var note = document.createElement("div");
    note.id = "reconnected"; note.className = "notice"; note.setAttribute("role", "status");
    note.textContent = "The live feed was interrupted: reload the page to see anything missed.";
    log.appendChild(note);
  });
  source.addEventListener("message", function (event) {
    var data = JSON.parse(event.data);
    append(data);
    if (data.author === "customer") {
      beep();
      if (document.visibilityState === "visible") { markSeen(); } else { unseen += 1; showCount(unseen); }
    }
    if (window.htmx && document.getElementById("live-packet")) {
      window.htmx.trigger("#live-packet", "refresh");
    }
  });

  // --- the reply box: emptied after each send; saved replies by shortcut or click -------
  var text = document.getElementById("text");
  var composer = document.getElementById("composer");
  if (composer) {
    composer.addEventListener("htmx:afterRequest", function () {
      composer.reset();
      text.focus();
    });
  }
  function macros() {
    var found = {};
    Array.prototype.forEach.call(document.querySelectorAll("button.macro"), function (b) {
      found[b.dataset.shortcut] = b.dataset.text;
    });
    return found;
  }
  function insert(snippet) {
    if (!text) { return; }
    text.value = text.value.trim() ? text.value.replace(/\s*$/, " ") + snippet : snippet;
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
  }
  if (text) {
    text.addEventListener("keydown", function (event) {
      if (event.key !== "Tab" && event.key !== "Enter") { return; }
      var match = /(^|\s)(\/[a-z0-9_-]+)$/.exec(text.value);
      var saved = match && macros()[match[2]];
      if (!saved) { return; }
      event.preventDefault();
      text.value = text.value.slice(0, match.index + match[1].length) + saved;
      text.setSelectionRange(text.value.length, text.value.length);
    });
  }
  document.addEventListener("click", function (event) {
    var macro = event.target.closest("button.macro");
    if (macro) { insert(macro.dataset.text); return; }
    var suggestion = event.target.closest("button.suggestion");
    if (suggestion && text) {
      text.value = suggestion.textContent.trim();
      text.focus();
    }
  });
})();
