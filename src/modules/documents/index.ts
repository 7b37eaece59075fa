// Documents and files (seed 003). Folders, documents and their versions are resources: importing
// the definitions registers them (folders first: documents point at them, versions and grants at both).
import './folders';
import './documents';
import './document-versions';
import './document-permissions';
