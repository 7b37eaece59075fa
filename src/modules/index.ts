// Every module, for what it registers (its resources and hand resolvers): this import is the only
// way a module reaches the schema. A new module adds one line.
import './tenancy';
import './access';
import './teams';
import './audit';
import './work';
import './school';
import './documents';
