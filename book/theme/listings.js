// The switch of each Rust/C listing pair (xtask/src/listings.rs). Without
// this script both listings stay stacked, each with its own caption.
(function () {
    "use strict";
    var KEY = "sockref-listing-show";
    var choices = [["rust", "Rust"], ["c", "C"], ["both", "Side by side"]];
    var pairs = document.querySelectorAll(".listing-pair");
    if (pairs.length === 0) {
        return;
    }
    var stored = null;
    try {
        stored = window.localStorage.getItem(KEY);
    } catch (e) {
        stored = null;
    }
    function show(value) {
        pairs.forEach(function (pair) {
            pair.setAttribute("data-show", value);
            pair.querySelectorAll(".listing-switch button").forEach(function (b) {
                b.setAttribute("aria-pressed", String(b.value === value));
            });
        });
        try {
            window.localStorage.setItem(KEY, value);
        } catch (e) {
            // Private windows may refuse; the choice then lasts one page.
        }
    }
    pairs.forEach(function (pair) {
        var bar = document.createElement("div");
        bar.className = "listing-switch";
        bar.setAttribute("role", "group");
        bar.setAttribute("aria-label", "Show");
        choices.forEach(function (choice) {
            var button = document.createElement("button");
            button.type = "button";
            button.value = choice[0];
            button.textContent = choice[1];
            button.addEventListener("click", function () {
                show(choice[0]);
            });
            bar.appendChild(button);
        });
        pair.insertBefore(bar, pair.firstChild);
    });
    var valid = choices.some(function (c) { return c[0] === stored; });
    show(valid ? stored : "rust");
})();
