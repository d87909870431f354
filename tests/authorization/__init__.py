"""What the authorization matrix (tests/test_authorization_matrix.py) needs: the objects it builds for the
personas (``world``) and the classification of every page, file and sandbox route (``pages``)."""
