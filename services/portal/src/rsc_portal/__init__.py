"""RSC portal: the browser front end, a backend-for-frontend that renders pages on the server and calls the
four service APIs with the signed-in user's own token (it holds no data of its own)."""
