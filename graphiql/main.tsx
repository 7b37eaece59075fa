// First: monaco must know where its workers are before graphiql loads it.
import './monaco-environment';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
