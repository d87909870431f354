"""Files people send in and get back: ``uploads`` judges an upload by its bytes (images re-encoded
without metadata, PDFs parsed and refused if active); ``responses`` streams a stored private file to its
already authorised reader, with byte ranges, never buffered whole."""
