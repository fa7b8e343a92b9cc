// The language picker (xtask/src/i18n.rs): on every page, a menu of the
// book's languages, each linking to the same chapter in that language.
// The English book is target/book/, each translation target/book/<code>/.
(function () {
    "use strict";
    // generated: languages (cargo xtask codegen)
    var LANGUAGES = [
        ["en", "English", "EN"],
        ["zh-CN", "简体中文", "中文"],
        ["ru", "Русский", "RU"],
    ];
    // end generated
    var bar = document.querySelector("#mdbook-menu-bar .right-buttons");
    if (!bar || typeof path_to_root !== "string" || LANGUAGES.length < 2) {
        return;
    }
    var here = document.documentElement.lang || "en";
    // The page's path inside its own book: as many trailing parts of the
    // address as the page is folders deep, plus its file name.
    var depth = path_to_root.split("../").length - 1;
    var parts = window.location.pathname.split("/");
    var page = parts.slice(parts.length - depth - 1).join("/") || "index.html";
    if (page.charAt(page.length - 1) === "/") {
        page += "index.html";
    }
    // From this page up to the English book's root.
    var top = path_to_root + (here === "en" ? "" : "../");
    var picker = document.createElement("details");
    picker.className = "language-picker";
    var summary = document.createElement("summary");
    summary.className = "icon-button";
    summary.title = "Language";
    summary.setAttribute("aria-label", "Language");
    var list = document.createElement("ul");
    LANGUAGES.forEach(function (lang) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = top + (lang[0] === "en" ? "" : lang[0] + "/") + page;
        link.hreflang = lang[0];
        link.lang = lang[0];
        link.textContent = lang[1];
        if (lang[0] === here) {
            link.setAttribute("aria-current", "page");
            summary.textContent = lang[2];
        }
        item.appendChild(link);
        list.appendChild(item);
    });
    picker.appendChild(summary);
    picker.appendChild(list);
    bar.insertBefore(picker, bar.firstChild);
    // A click elsewhere closes the menu, as mdBook's theme menu does.
    document.addEventListener("click", function (event) {
        if (!picker.contains(event.target)) {
            picker.open = false;
        }
    });
})();
