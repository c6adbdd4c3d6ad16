// Starts Swagger UI on the OpenAPI document named by the page (no inline script: see the CSP).
"use strict";
(function () {
  var container = document.getElementById("swagger-ui-container");
  var config = JSON.parse(container.getAttribute("data-config") || "{}");
  config.url = container.getAttribute("data-spec-url");
  config.dom_id = "#swagger-ui-container";
  window.ui = window.SwaggerUIBundle(config);
})();
