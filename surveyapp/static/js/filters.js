// District and commune choices narrow each other: choosing a district keeps only its communes;
// choosing a commune selects its district. Without JavaScript every commune stays listed.
(function () {
  "use strict";
  // The units before or after 1 July 2025 bring their own unit choices: the page reloads with them.
  var era = document.getElementById("units");
  if (era && era.form) { era.addEventListener("change", function () { era.form.submit(); }); }
  var district = document.getElementById("district");
  var commune = document.getElementById("commune");
  if (!district || !commune) { return; }

  function narrowCommunes() {
    var chosen = district.value;
    Array.prototype.forEach.call(commune.options, function (option) {
      var owner = option.getAttribute("data-district");
      option.hidden = Boolean(chosen && owner && owner !== chosen);
    });
    var selected = commune.options[commune.selectedIndex];
    if (selected && selected.hidden) { commune.value = ""; }
  }

  district.addEventListener("change", narrowCommunes);
  commune.addEventListener("change", function () {
    var owner = commune.options[commune.selectedIndex].getAttribute("data-district");
    if (owner) { district.value = owner; narrowCommunes(); }
  });
  narrowCommunes();
})();
