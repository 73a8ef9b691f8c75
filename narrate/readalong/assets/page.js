/* narrate read-along: highlights the sentence and the word being spoken. Every timed
   element carries data-b (its start, ms in the audio file); a sentence also data-e (its
   end). No network, no libraries. */
(function () {
  "use strict";
  var audio = document.getElementById("audio");
  var playButton = document.getElementById("play");
  var announce = document.getElementById("announce");
  var live = document.getElementById("live");
  var status = document.getElementById("status");
  var sentences = Array.prototype.slice.call(document.querySelectorAll(".s[data-b]"))
    .sort(function (a, b) { return a.dataset.b - b.dataset.b; });  // the disclaimer sits in the header
  var starts = sentences.map(function (s) { return +s.dataset.b; });
  var ends = sentences.map(function (s) { return +s.dataset.e; });
  var words = sentences.map(function (s) {
    var ws = Array.prototype.slice.call(s.querySelectorAll(".w[data-b]"));
    return { els: ws, starts: ws.map(function (w) { return +w.dataset.b; }) };
  });
  var reduced = window.matchMedia("(prefers-reduced-motion: reduce)");
  var nowSentence = -1, nowWord = null, frame = 0;

  function lastStarted(list, ms) {  // index of the last value <= ms, or -1
    var lo = 0, hi = list.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid] <= ms) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  function setSentence(i) {
    if (i === nowSentence) { return; }
    if (nowSentence >= 0) { sentences[nowSentence].classList.remove("now"); sentences[nowSentence].removeAttribute("aria-current"); }
    nowSentence = i;
    if (i < 0) { return; }
    var el = sentences[i];
    el.classList.add("now");
    el.setAttribute("aria-current", "true");
    if (announce.getAttribute("aria-pressed") === "true") { live.textContent = el.textContent; }
    if (!audio.paused) { keepInView(el); }
  }

  function setWord(el) {
    if (el === nowWord) { return; }
    if (nowWord) { nowWord.classList.remove("now"); }
    nowWord = el;
    if (el) { el.classList.add("now"); }
  }

  function keepInView(el) {
    var box = el.getBoundingClientRect();
    var bar = Math.max(document.querySelector(".player").getBoundingClientRect().bottom, 0);
    if (box.top < bar || box.bottom > window.innerHeight) {
      el.scrollIntoView({ block: "center", behavior: reduced.matches ? "auto" : "smooth" });
    }
  }

  function update() {
    var ms = audio.currentTime * 1000;
    var i = lastStarted(starts, ms);
    if (i >= 0 && ms >= ends[i]) { i = -1; }  // a pause between sentences
    setSentence(i);
    if (i < 0) { setWord(null); return; }
    var w = lastStarted(words[i].starts, ms);
    setWord(words[i].els[Math.max(w, 0)] || null);
  }

  function tick() {
    update();
    frame = audio.paused ? 0 : window.requestAnimationFrame(tick);
  }

  function seekTo(i) {
    if (i < 0 || i >= sentences.length) { return; }
    audio.currentTime = starts[i] / 1000;
    update();
  }

  function current() {  // the sentence playing, or the last one that started
    return nowSentence >= 0 ? nowSentence : lastStarted(starts, audio.currentTime * 1000);
  }

  function toggle() {
    if (audio.paused) {
      var playing = audio.play();
      if (playing && playing.catch) { playing.catch(function (e) { status.textContent = "Cannot play: " + e.message; }); }
    } else { audio.pause(); }
  }

  function showState() {
    playButton.textContent = audio.paused ? "Play" : "Pause";
    playButton.setAttribute("aria-label", audio.paused ? "Play" : "Pause");
  }

  audio.addEventListener("play", function () { showState(); if (!frame) { tick(); } });
  audio.addEventListener("pause", function () { showState(); update(); });
  ["seeked", "seeking", "timeupdate", "loadedmetadata", "ended"].forEach(function (name) {
    audio.addEventListener(name, update);
  });
  audio.addEventListener("error", function () {
    status.textContent = "The audio (" + audio.getAttribute("src") + ") could not be loaded: keep it in the same folder as this page.";
  });
  playButton.addEventListener("click", toggle);
  document.getElementById("prev").addEventListener("click", function () { seekTo(Math.max(current() - 1, 0)); });
  document.getElementById("next").addEventListener("click", function () { seekTo(current() + 1); });
  document.getElementById("speed").addEventListener("change", function (e) { audio.playbackRate = +e.target.value; });
  announce.addEventListener("click", function () {
    var on = announce.getAttribute("aria-pressed") !== "true";
    announce.setAttribute("aria-pressed", on ? "true" : "false");
    live.setAttribute("aria-live", on ? "polite" : "off");
  });
  sentences.forEach(function (el, i) {
    el.addEventListener("click", function () {
      if (window.getSelection && String(window.getSelection()).length) { return; }  // selecting text
      seekTo(i);
      if (audio.paused) { toggle(); }
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var tag = e.target && e.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || tag === "AUDIO") { return; }
    if (e.key === " " || e.key === "Spacebar") {
      if (tag === "BUTTON" || tag === "A") { return; }  // they act on their own
      e.preventDefault();
      toggle();
    } else if (e.key === "ArrowRight" || e.key === "ArrowDown") {
      e.preventDefault();
      seekTo(current() + 1);
    } else if (e.key === "ArrowLeft" || e.key === "ArrowUp") {
      e.preventDefault();
      seekTo(Math.max(current() - 1, 0));
    }
  });
  showState();
  update();
})();
