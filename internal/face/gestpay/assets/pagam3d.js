/*
 * pagam3d.aspx's return to the shop: the form carrying PaRes is sent at
 * once. A browser without scripts shows its button instead.
 */
(function (document) {
	"use strict";
	var form = document.getElementById("pares-form");
	if (form) {
		form.submit();
	}
})(document);
