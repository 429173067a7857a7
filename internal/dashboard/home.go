package dashboard

import "net/http"

// home serves GET /dashboard/.
func (d *Dashboard) home(w http.ResponseWriter, r *http.Request, q *Request) error {
	d.render(w, r, q, http.StatusOK, "home", nil)
	return nil
}
