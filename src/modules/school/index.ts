// The school platform (seed 001). Academic years are a resource: importing the definition registers it.
export { academicYears } from './academic-years';
