/* Estate Desk page behaviour without inline script (the Content-Security-Policy refuses inline
 * handlers). Our templates say what they need in data attributes:
 *   data-confirm="text"      a form (on submit) or a button/link (on click) asks first
 *   data-autosubmit          a select submits its form when changed
 *   data-clear="a b"         ... after emptying the form's fields a and b
 *   data-print               a button prints the page
 *   data-busy="id"           a form shows the element `id` and disables its buttons once sent
 * Flask-Admin 2.2.1 writes a few inline handlers into its own templates; the CSP blocks them, so
 * they are carried out here from the same attribute (the handler text is read, never run). */
(function () {
  "use strict";

  function closest(node, selector) {
    return node && node.closest ? node.closest(selector) : null;
  }

  // Flask-Admin's inline handlers move to a data attribute before anyone clicks (the browser would
  // only report them as refused); the click handler below carries them out.
  function adoptInlineHandlers(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[onclick]"), function (element) {
      element.setAttribute("data-fa-onclick", element.getAttribute("onclick"));
      element.removeAttribute("onclick");
    });
  }
  adoptInlineHandlers(document);
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      Array.prototype.forEach.call(change.addedNodes, function (node) {
        if (node.nodeType === 1) {
          if (node.hasAttribute("onclick")) { adoptInlineHandlers(node.parentNode || node); } else { adoptInlineHandlers(node); }
        }
      });
    });
  }).observe(document.documentElement, {childList: true, subtree: true});

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    if (form.hasAttribute && form.hasAttribute("data-busy")) {
      var busy = document.getElementById(form.getAttribute("data-busy"));
      if (busy) { busy.classList.remove("d-none"); }
      window.setTimeout(function () {          // after the browser has taken the form's data
        Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
      }, 0);
    }
  }, true);

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.hasAttribute || !select.hasAttribute("data-autosubmit") || !select.form) { return; }
    (select.getAttribute("data-clear") || "").split(/\s+/).forEach(function (name) {
      if (name && select.form.elements[name]) { select.form.elements[name].value = ""; }
    });
    select.form.submit();
  });

  document.addEventListener("click", function (event) {
    var node = event.target;
    var asking = closest(node, "[data-confirm]:not(form)");
    if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    if (closest(node, "[data-print]")) {
      event.preventDefault();
      window.print();
      return;
    }
    var handled = closest(node, "[data-fa-onclick]");
    var code = handled ? handled.getAttribute("data-fa-onclick") : "";
    var match;
    if ((match = /^return faHelpers\.safeConfirm\('(.*)'\);?$/.exec(code))) {          // delete row
      if (!window.confirm(match[1])) { event.preventDefault(); }
    } else if ((match = /^return modelActions\.execute\('([\w-]+)'\);?$/.exec(code))) { // list action
      event.preventDefault();
      if (window.modelActions) { window.modelActions.execute(match[1]); }
    } else if ((match = /^faForm\.addInlineField\(this, '([\w-]+)'\);?$/.exec(code))) { // add sub-form
      event.preventDefault();
      if (window.faForm) { window.faForm.addInlineField(handled, match[1]); }
    }
  });

  // Flask-Admin's "javascript:void(0)" links (dropdown toggles, filters): the CSP refuses to run
  // the URL; their scripts act on the click, the link itself goes nowhere.
  document.addEventListener("click", function (event) {
    if (closest(event.target, 'a[href^="javascript:"]')) { event.preventDefault(); }
  }, true);
}());
