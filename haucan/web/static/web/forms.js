// Form behaviour that used to live in on*= attributes, which the Content-Security-Policy forbids
// (ADR 0061). Declared with data- attributes:
//   <select data-autosubmit>                     submit the form when the choice changes
//   <select data-autosubmit data-clear="pe">     … after emptying the form's field "pe"
//   <select data-autosubmit data-needs="ou">     … only when this and the field "ou" have values
//   <form data-no-submit>                        never submitted by the browser (scripts save)
document.addEventListener("change", function (event) {
  const field = event.target;
  if (!(field instanceof HTMLSelectElement) || !field.hasAttribute("data-autosubmit")) return;
  const form = field.form;
  if (!form) return;
  const needs = field.dataset.needs;
  if (needs && !(field.value && form.elements[needs] && form.elements[needs].value)) return;
  const clear = field.dataset.clear;
  if (clear && form.elements[clear]) form.elements[clear].value = "";
  form.submit();
});
document.addEventListener("submit", function (event) {
  if (event.target instanceof HTMLFormElement && event.target.hasAttribute("data-no-submit")) {
    event.preventDefault();
  }
});
